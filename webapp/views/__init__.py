"""HTML views, one module per area. Thin: they parse input, call one selector or one service, and render.

No ORM and no access rule here (tests/test_architecture.py checks it): reads come from
assessments.selectors, rules from assessments.access, writes from the services; a domain NotFound
becomes a 404 in webapp.middleware.
"""
