"""The synthetic demo city: city.py generates it (no Django), load.py and bulk.py write it, vocab.py
holds its words and weights, accounts.py its logins. Entry point: ``manage.py seed_demo``."""
