import pytest


@pytest.fixture(scope="session")
def app_server(django_db_setup, live_server):
    """The live server, set up after the test database so it stops before the database is dropped."""
    return live_server
