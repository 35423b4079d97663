"""Two-factor authentication (TOTP): set-up, the login code step, recovery codes, turning it off, admin reset."""
