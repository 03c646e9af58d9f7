#!/usr/bin/python3
# enroll-fake.py PROFILE N: appends N approved enrolled clients to an admin
# profile, for the scale figures of bench/enroll.sh.  Generating 10 000
# RSA-3072 key pairs would take an hour; a recipient only needs a public
# key, so each fake client gets a random odd 3072-bit modulus (RSA
# encryption works with any modulus; only the one real client, enrolled
# the ordinary way, ever decrypts) in a certificate signed by a throwaway
# key (seal does not check who issued a recipient's certificate).
import base64
import datetime
import hashlib
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

path, n = sys.argv[1], int(sys.argv[2])
prof = json.load(open(path))
issuer_key = ec.generate_private_key(ec.SECP256R1())
issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench issuer")])
now = datetime.datetime.now(datetime.timezone.utc)
clients = prof.setdefault("clients", [])
for i in range(n):
    m = int.from_bytes(os.urandom(384), "big") | (1 << 3071) | 1
    pub = rsa.RSAPublicNumbers(65537, m).public_key()
    spki = pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    ski = x509.SubjectKeyIdentifier.from_public_key(pub)
    name = "fake-%05d" % (len(clients) + 1)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                        name)]))
            .issuer_name(issuer).public_key(pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(ski, critical=False)
            .sign(issuer_key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    clients.append({
        "name": name, "state": "approved", "key_id": ski.digest.hex(),
        "fingerprint": hashlib.sha256(spki).hexdigest(),
        "algorithm": "rsa-3072", "approved": int(now.timestamp()),
        "certificate": base64.b64encode(der).decode()})
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(prof, f)
os.chmod(tmp, 0o600)
os.rename(tmp, path)
