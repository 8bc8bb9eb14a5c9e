"""Invitation tokens: keep only a hash. Links issued before keep working: their signed token is rebuilt once
here (from the id, the nonce and SECRET_KEY) and its hash stored; the nonce column then goes."""

import hashlib

from django.core import signing
from django.db import migrations, models

SALT = "assessments.invitation"


def hash_existing(apps, schema_editor):
    Invitation = apps.get_model("assessments", "Invitation")
    for inv in Invitation.objects.all().only("pk", "nonce"):
        token = signing.dumps({"i": inv.pk, "n": inv.nonce}, salt=SALT, compress=True)
        Invitation.objects.filter(pk=inv.pk).update(token_hash=hashlib.sha256(token.encode()).hexdigest())


class Migration(migrations.Migration):
    dependencies = [("assessments", "0005_question_public_test_files")]

    operations = [
        migrations.AddField("invitation", "token_hash", models.CharField(max_length=64, null=True, editable=False)),
        migrations.RunPython(hash_existing, migrations.RunPython.noop),
        migrations.RemoveField("invitation", "nonce"),
        migrations.AlterField("invitation", "token_hash",
                              models.CharField(max_length=64, unique=True, editable=False)),
    ]
