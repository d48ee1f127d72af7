import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand

from audit import checkpoints


class Command(BaseCommand):
    help = ("Print a new AUDIT_HMAC_KEY, a new Ed25519 checkpoint key pair and a new Ed25519 "
            "transparency log key as environment lines. Nothing is stored: put them in your "
            "secret store.")

    def handle(self, *args, **options):
        signing = Ed25519PrivateKey.generate()
        self.stdout.write(f"AUDIT_HMAC_KEY={secrets.token_urlsafe(48)}")
        self.stdout.write(f"AUDIT_SIGNING_KEY={checkpoints.private_key_text(signing)}")
        self.stdout.write(f"AUDIT_VERIFY_KEYS={checkpoints.public_key_text(signing)}")
        # Its public half is published at /.well-known/newsroom-transparency.json.
        log_key = checkpoints.private_key_text(Ed25519PrivateKey.generate())
        self.stdout.write(f"TRANSPARENCY_SIGNING_KEY={log_key}")
