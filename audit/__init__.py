"""The audit trail: who read or changed what about a candidate, when and from where. Append-only.

Model changes are recorded by django-auditlog (registered in apps.py, with a candidate reference and no personal
data in the values); reads of candidate data and the explicit events (exports, erasures) are AuditEvents.
"""
