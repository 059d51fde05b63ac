"""The Cloud Run vocabulary shared by the linter, the deploy client and the emulator: the Admin
API v1 discovery document and the schemas read from it."""
