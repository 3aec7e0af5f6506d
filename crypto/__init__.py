"""National cryptography (国密) as an option set in the environment (SPEC §9, 等保 level 3).

- ``crypto.hashers``: PBKDF2-HMAC-SM3 password hashing.
- ``crypto.keys``: the SM4 keys for personal data, read from the environment or a key file.
- ``crypto.envelope`` and ``crypto.fields``: SM4-GCM encryption of personal fields at rest.
- ``manage.py rotate_key``: re-encrypt every such field under the current key.

This module imports nothing from Django's models, so the settings can import ``crypto.keys``.
"""
