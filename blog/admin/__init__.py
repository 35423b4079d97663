"""The authors' dashboard: writing, publishing, their account and (for admins) the authors."""
