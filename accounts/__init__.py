"""Identity: who a request is (staff accounts, single sign-on, the client's address) and what their identity
provider's groups make them (roles and tracks)."""
