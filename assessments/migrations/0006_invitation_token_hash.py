"""Invitation tokens: keep only a hash. Links issued before keep working: they were signed {"i": id, "n": nonce}
(with a timestamp, so there is no one token to rebuild), and the hash of "legacy:" + nonce is stored instead,
which selectors.exam checks after verifying such a link's signature. The nonce column then goes."""

import hashlib

from django.db import migrations, models


def hash_existing(apps, schema_editor):
    Invitation = apps.get_model("assessments", "Invitation")
    for inv in Invitation.objects.all().only("pk", "nonce"):
        digest = hashlib.sha256(f"legacy:{inv.nonce}".encode()).hexdigest()
        Invitation.objects.filter(pk=inv.pk).update(token_hash=digest)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0005_question_public_test_files")]

    operations = [
        migrations.AddField("invitation", "token_hash", models.CharField(max_length=64, null=True, editable=False)),
        migrations.RunPython(hash_existing, migrations.RunPython.noop),
        migrations.RemoveField("invitation", "nonce"),
        migrations.AlterField("invitation", "token_hash",
                              models.CharField(max_length=64, unique=True, editable=False)),
    ]
