"""Two-factor sign-in: an authenticator app (TOTP) and single-use recovery codes, through
django-otp. `selectors` reads who has it and who must use it, `services` writes, `signin` keeps
the half-finished sign-in between the password and the code, `middleware` enforces it."""
