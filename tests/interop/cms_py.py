#!/usr/bin/python3
"""cms_py.py - Python's cryptography + asn1crypto as an independent CMS
implementation for tests/integration/test-interop.sh.

  check-der FILE                 strict DER check (outer, PEM or DER)
  open FILE --key K --cert C [--signer S]... --out OUT [--name N]
       [--seq Q] [--signers N] [--check-der]
                                 decrypt (KTRI RSA-OAEP or KARI ECDH) and
                                 verify every signer it trusts
  seal IN --out F --recip KIND:CERT... [--signer KEY:CERT]...
       [--attrs certseal|plain|none] [--ber] [--pem] [--name N] [--seq Q]
       [--junk-signers N] [--junk-certs N] [--originator-certs N]
                                 write a sealed file (DER or BER)

The encoder below is this file's own (so BER - indefinite lengths and
constructed OCTET STRINGs at every level - can be written); asn1crypto
parses and cryptography does the cryptography, so nothing here comes
from OpenSSL's CMS code or certseal's.
"""
import argparse
import base64
import datetime
import hashlib
import os
import re
import shlex
import sys

import asn1crypto.cms as acms
import asn1crypto.x509 as ax509
from asn1crypto import core
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

ARC = "2.25.29844361494787475963376958306872902551"
OID_NAME = ARC + ".1"
OID_SEQ = ARC + ".2"
HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256,
          "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class Bad(Exception):
    pass


class GcmParameters(core.Sequence):
    """RFC 5084 (asn1crypto 1.5 leaves the parameters as Any)."""
    _fields = [("aes_nonce", core.OctetString),
               ("aes_icvlen", core.Integer, {"default": 12})]


# ---- reading ---------------------------------------------------------

def unpem(data):
    m = re.search(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----",
                  data, re.S)
    return base64.b64decode(b"".join(m.group(2).split())) if m else data


def der_strict(b, where="file"):
    """Raises Bad unless b is exactly one DER element: definite minimal
    lengths, primitive strings, SET OF sorted, minimal INTEGERs."""
    def walk(p, end, depth):
        elems = []
        while p < end:
            start = p
            tag = b[p]
            p += 1
            if tag & 0x1f == 0x1f:
                while b[p] & 0x80:
                    p += 1
                p += 1
            n = b[p]
            p += 1
            if n == 0x80:
                raise Bad("%s: indefinite length at %d" % (where, start))
            if n > 0x80:
                k = n & 0x7f
                if k > 4 or b[p] == 0:
                    raise Bad("%s: non-minimal length at %d" % (where, start))
                n = int.from_bytes(b[p:p + k], "big")
                p += k
                if n < 0x80 or (k > 1 and n < (1 << (8 * (k - 1)))):
                    raise Bad("%s: non-minimal length at %d" % (where, start))
            if p + n > end:
                raise Bad("%s: length past the end at %d" % (where, start))
            cons = tag & 0x20
            if cons and tag in (0x24, 0x23, 0x2c):
                raise Bad("%s: constructed string at %d" % (where, start))
            if tag == 0x02 and n > 1 and (
                    (b[p] == 0 and b[p + 1] < 0x80) or
                    (b[p] == 0xff and b[p + 1] >= 0x80)):
                raise Bad("%s: non-minimal INTEGER at %d" % (where, start))
            if tag == 0x01 and b[p] not in (0, 0xff):
                raise Bad("%s: BOOLEAN not 00/ff at %d" % (where, start))
            if cons:
                kids = walk(p, p + n, depth + 1)
                if tag == 0x31 and kids != sorted(kids):
                    raise Bad("%s: SET OF not sorted at %d" % (where, start))
            elems.append(b[start:p + n])
            p += n
        return elems
    if len(walk(0, len(b), 0)) != 1:
        raise Bad("%s: not exactly one element" % where)


def load_cert(path):
    data = open(path, "rb").read()
    return x509.load_pem_x509_certificate(data), ax509.Certificate.load(
        unpem(data))


def load_key(path):
    return serialization.load_pem_private_key(open(path, "rb").read(), None)


def sid_matches(sid, acert):
    if sid.name == "subject_key_identifier":
        return sid.chosen.native == acert.key_identifier
    ias = sid.chosen
    return (ias["issuer"].dump() == acert.issuer.dump() and
            ias["serial_number"].native == acert.serial_number)


def hash_of(alg_name):
    name = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384",
            "sha512": "sha512"}.get(alg_name)
    if name is None:
        raise Bad("digest %s" % alg_name)
    return HASHES[name]()


def ktri_key(ri, key, acert):
    if ri["rid"].name != "subject_key_identifier" or \
            ri["rid"].chosen.native != acert.key_identifier:
        if not (ri["rid"].name == "issuer_and_serial_number" and
                sid_matches(ri["rid"], acert)):
            return None
    alg = ri["key_encryption_algorithm"]
    if alg["algorithm"].native != "rsaes_oaep":
        raise Bad("key transport %s" % alg["algorithm"].native)
    params = alg["parameters"]
    h = hash_of(params["hash_algorithm"]["algorithm"].native)
    m = hash_of(params["mask_gen_algorithm"]["parameters"]["algorithm"].native)
    return key.decrypt(ri["encrypted_key"].native, padding.OAEP(
        mgf=padding.MGF1(m), algorithm=h, label=None))


KDFS = {"1.3.132.1.11.1": hashes.SHA256, "1.3.132.1.11.2": hashes.SHA384,
        "1.3.132.1.11.3": hashes.SHA512}


def kari_key(kari, key, acert):
    for rek in kari["recipient_encrypted_keys"]:
        rid = rek["rid"]
        if rid.name == "r_key_id":
            if rid.chosen["subject_key_identifier"].native != \
                    acert.key_identifier:
                continue
        elif not sid_matches(rid, acert):
            continue
        alg = kari["key_encryption_algorithm"]
        oid = alg["algorithm"].dotted
        if oid not in KDFS:
            raise Bad("key agreement %s" % oid)
        wrap = alg["parameters"].dump()  # KeyWrapAlgorithm, as written
        orig = kari["originator"].chosen
        pub = ec.EllipticCurvePublicKey.from_encoded_point(
            key.curve, orig["public_key"].native)
        z = key.exchange(ec.ECDH(), pub)
        ukm = kari["ukm"].native
        # ECC-CMS-SharedInfo (RFC 5753 7.2), DER
        info = seq(raw(wrap) +
                   (explicit(0, octets(ukm)) if ukm else b"") +
                   explicit(2, octets((256).to_bytes(4, "big"))))
        kek = X963KDF(algorithm=KDFS[oid](), length=32,
                      sharedinfo=info).derive(z)
        return aes_key_unwrap(kek, rek["encrypted_key"].native)
    return None


def verify_signed(inner, trusted, check_der):
    if check_der:
        der_strict(inner, "inner SignedData")
    ci = acms.ContentInfo.load(inner, strict=True)
    if ci["content_type"].native != "signed_data":
        raise Bad("inner is %s" % ci["content_type"].native)
    sd = ci["content"]
    content = sd["encap_content_info"]["content"].native or b""
    good, name, seqno = 0, None, None
    for si in sd["signer_infos"]:
        cert = None
        for c, a in trusted:
            if sid_matches(si["sid"], a):
                cert = c
        if cert is None:
            continue
        h = hash_of(si["digest_algorithm"]["algorithm"].native)
        sig = si["signature"].native
        attrs = si["signed_attrs"]
        if attrs.native is not None and len(attrs):
            data = b"\x31" + attrs.dump()[1:]
            md = [a["values"][0].native for a in attrs
                  if a["type"].native == "message_digest"]
            hh = hashes.Hash(hash_of(
                si["digest_algorithm"]["algorithm"].native))
            hh.update(content)
            if md != [hh.finalize()]:
                raise Bad("message digest does not match")
            for a in attrs:
                if a["type"].dotted == OID_NAME:
                    name = a["values"][0].native
                if a["type"].dotted == OID_SEQ:
                    seqno = a["values"][0].native
        else:
            data = content
        pk = cert.public_key()
        if isinstance(pk, rsa.RSAPublicKey):
            pk.verify(sig, data, padding.PKCS1v15(), h)
        else:
            pk.verify(sig, data, ec.ECDSA(h))
        good += 1
    if good == 0:
        raise Bad("no trusted signer")
    return content, good, name, seqno


def cmd_open(a):
    global BER
    BER = False  # the KDF's SharedInfo is DER
    data = open(a.file, "rb").read()
    der = unpem(data)
    if a.check_der:
        der_strict(der, "outer")
    key = load_key(a.key)
    _, acert = load_cert(a.cert)
    ci = acms.ContentInfo.load(der, strict=True)
    if ci["content_type"].native != "authenticated_enveloped_data":
        raise Bad("outer is %s" % ci["content_type"].native)
    env = ci["content"]
    cek = None
    for ri in env["recipient_infos"]:
        if ri.name == "ktri" and isinstance(key, rsa.RSAPrivateKey):
            cek = ktri_key(ri.chosen, key, acert)
        elif ri.name == "kari" and isinstance(key, ec.EllipticCurvePrivateKey):
            cek = kari_key(ri.chosen, key, acert)
        if cek is not None:
            break
    if cek is None:
        raise Bad("no recipient for this key")
    eci = env["auth_encrypted_content_info"]
    alg = eci["content_encryption_algorithm"]
    if alg["algorithm"].native != "aes256_gcm":
        raise Bad("content encryption %s" % alg["algorithm"].native)
    gcm = GcmParameters.load(alg["parameters"].dump(), strict=True)
    if gcm["aes_icvlen"].native != len(env["mac"].native):
        raise Bad("tag length")
    nonce = gcm["aes_nonce"].native
    aad = None
    if env["auth_attrs"].native is not None and len(env["auth_attrs"]):
        aad = b"\x31" + env["auth_attrs"].dump()[1:]
    ct = eci["encrypted_content"].native
    inner = AESGCM(cek).decrypt(nonce, ct + env["mac"].native, aad)
    trusted = [load_cert(s) for s in a.signer]
    content, good, name, seqno = verify_signed(inner, trusted, a.check_der)
    if a.signers is not None and good != a.signers:
        raise Bad("%d signers verified, expected %d" % (good, a.signers))
    if a.name is not None and name != a.name:
        raise Bad("name %r" % name)
    if a.seq is not None and seqno != a.seq:
        raise Bad("sequence %r" % seqno)
    open(a.out, "wb").write(content)
    print("ok %s: %d signer(s), name=%s seq=%s" % (a.file, good, name, seqno))


def cmd_check_der(a):
    der = unpem(open(a.file, "rb").read())
    der_strict(der, a.file)
    acms.ContentInfo.load(der, strict=True).native  # parses completely
    print("ok %s: strict DER" % a.file)


# ---- writing: a TLV encoder that can write BER -----------------------

BER = False
CHUNK = 100


def length(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body, cons=False):
    if cons and BER:
        return bytes([tag]) + b"\x80" + body + b"\x00\x00"
    return bytes([tag]) + length(len(body)) + body


def raw(b):
    return b


def seq(body):
    return tlv(0x30, body, True)


def set_of(elems, der_sorted=True):
    return tlv(0x31, b"".join(sorted(elems) if der_sorted else elems), True)


def explicit(n, body):
    return tlv(0xa0 | n, body, True)


def implicit_cons(n, body):
    return tlv(0xa0 | n, body, True)


def octets(b, tag=0x04):
    """OCTET STRING; in BER mode long ones become constructed."""
    if BER and len(b) > CHUNK:
        parts = b"".join(tlv(0x04, b[i:i + CHUNK])
                         for i in range(0, len(b), CHUNK))
        return tlv(tag | 0x20, parts, True)
    return tlv(tag, b)


def integer(v):
    n = (v.bit_length() + 8) // 8
    return tlv(0x02, v.to_bytes(n, "big", signed=True))


def oid(dotted):
    arcs = [int(x) for x in dotted.split(".")]
    body = bytes()
    for v in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        enc = [v & 0x7f]
        v >>= 7
        while v:
            enc.insert(0, 0x80 | (v & 0x7f))
            v >>= 7
        body += bytes(enc)
    return tlv(0x06, body)


def algid(dotted, params=None):
    return seq(oid(dotted) + (params if params is not None else b""))


NULL = b"\x05\x00"
SHA_OID = {"sha256": "2.16.840.1.101.3.4.2.1"}
ID_DATA = "1.2.840.113549.1.7.1"
ID_SIGNED = "1.2.840.113549.1.7.2"
ID_AUTH_ENV = "1.2.840.113549.1.9.16.1.23"


def attr(dotted, value):
    # Signed attributes are always DER: they are what is signed.
    global BER
    keep, BER = BER, False
    try:
        return seq(oid(dotted) + set_of([value]))
    finally:
        BER = keep


def make_signed(content, signers, attrs, a):
    global BER
    certs, sis, algs = [], [], set()
    for spec in signers:
        k, c = spec.split(":")
        key = load_key(k)
        cert, acert = load_cert(c)
        certs.append(acert.dump())
        algs.add(algid(SHA_OID["sha256"]))
        sid = tlv(0x80, acert.key_identifier)
        digest = hashlib.sha256(content).digest()
        signed_attrs = b""
        if attrs != "none":
            keep, BER = BER, False
            now = datetime.datetime.utcnow().strftime("%y%m%d%H%M%SZ")
            lst = [attr("1.2.840.113549.1.9.3", oid(ID_DATA)),
                   attr("1.2.840.113549.1.9.5", tlv(0x17, now.encode())),
                   attr("1.2.840.113549.1.9.4", tlv(0x04, digest))]
            if attrs == "certseal":
                if a.name:
                    lst.append(attr(OID_NAME, tlv(0x0c, a.name.encode())))
                lst.append(attr(OID_SEQ, integer(a.seq or 0)))
            der_set = set_of(lst)
            BER = keep
            tbs = der_set
            signed_attrs = b"\xa0" + der_set[1:]
        else:
            tbs = content
        if isinstance(key, rsa.RSAPrivateKey):
            sig = key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
            salg = algid("1.2.840.113549.1.1.11", NULL)
        else:
            sig = key.sign(tbs, ec.ECDSA(hashes.SHA256()))
            salg = algid("1.2.840.10045.4.3.2")
        sis.append(seq(integer(3) + sid + algid(SHA_OID["sha256"]) +
                       signed_attrs + salg + tlv(0x04, sig)))
    # Junk SignerInfos: copies of the first (a trusted signer) or, with
    # --junk-untrusted, the same naming a key nobody has.
    junk = sis[0]
    if a.junk_untrusted:
        sid = tlv(0x80, acert.key_identifier)
        junk = junk.replace(sid, tlv(0x80, os.urandom(20)), 1)
    sis += [junk] * a.junk_signers
    certs += [certs[0]] * a.junk_certs
    sd = seq(integer(3) + set_of(list(algs)) +
             seq(oid(ID_DATA) + explicit(0, octets(content))) +
             implicit_cons(0, b"".join(certs)) +
             set_of(sis, der_sorted=not a.junk_signers))
    return seq(oid(ID_SIGNED) + explicit(0, sd))


def kari(cert, acert, cek):
    pub = cert.public_key()
    eph = ec.generate_private_key(pub.curve)
    z = eph.exchange(ec.ECDH(), pub)
    wrap = algid("2.16.840.1.101.3.4.1.45")
    # ECC-CMS-SharedInfo is DER whatever the file is (RFC 5753 7.2).
    keep = globals()["BER"]
    globals()["BER"] = False
    info = seq(algid("2.16.840.1.101.3.4.1.45") +
               explicit(2, octets((256).to_bytes(4, "big"))))
    globals()["BER"] = keep
    kek = X963KDF(algorithm=hashes.SHA256(), length=32,
                  sharedinfo=info).derive(z)
    ek = aes_key_wrap(kek, cek)
    point = eph.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    orig = explicit(0, implicit_cons(1, algid("1.2.840.10045.2.1") +
                                     tlv(0x03, b"\x00" + point)))
    rek = seq(implicit_cons(0, tlv(0x04, acert.key_identifier)) +
              tlv(0x04, ek))
    return implicit_cons(1, integer(3) + orig +
                         algid("1.3.132.1.11.1", wrap) + seq(rek))


def ktri(cert, acert, cek, v15=False):
    if v15:
        # PKCS#1 v1.5: the policy refuses it (tests of refusals).
        ek = cert.public_key().encrypt(cek, padding.PKCS1v15())
        return seq(integer(2) + tlv(0x80, acert.key_identifier) +
                   algid("1.2.840.113549.1.1.1", NULL) + tlv(0x04, ek))
    ek = cert.public_key().encrypt(cek, padding.OAEP(
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
        label=None))
    sha = algid(SHA_OID["sha256"], NULL)
    params = seq(explicit(0, sha) +
                 explicit(1, algid("1.2.840.113549.1.1.8", sha)))
    return seq(integer(2) + tlv(0x80, acert.key_identifier) +
               algid("1.2.840.113549.1.1.7", params) + tlv(0x04, ek))


def oaep_sha256():
    sha = algid(SHA_OID["sha256"], NULL)
    return algid("1.2.840.113549.1.1.7", seq(
        explicit(0, sha) + explicit(1, algid("1.2.840.113549.1.1.8", sha))))


def fake_ktri():
    """A recipient nobody holds: RSA-OAEP to a random SKID (the lengths
    of an RSA-3072 recipient)."""
    return seq(integer(2) + tlv(0x80, os.urandom(20)) + oaep_sha256() +
               tlv(0x04, os.urandom(384)))


def fake_reks(kari_ri, n):
    """kari_ri with n recipient keys nobody holds before its own one."""
    d = acms.RecipientInfo.load(kari_ri).chosen
    real = d["recipient_encrypted_keys"][0]
    skid = real["rid"].chosen["subject_key_identifier"].native
    ek = real["encrypted_key"].native
    reks = b"".join(seq(implicit_cons(0, tlv(0x04, os.urandom(len(skid)))) +
                        tlv(0x04, os.urandom(len(ek)))) for _ in range(n))
    reks += real.dump()
    return implicit_cons(1, d["version"].dump() + d["originator"].dump() +
                         d["key_encryption_algorithm"].dump() + seq(reks))


def place(ris, fakes, at):
    """The real recipients first, in the middle or last among fakes."""
    if at == "first":
        return ris + fakes
    if at == "last":
        return fakes + ris
    half = len(fakes) // 2
    return fakes[:half] + ris + fakes[half:]


def cmd_seal(a):
    global BER
    BER = a.ber
    content = open(a.input, "rb").read()
    payload = make_signed(content, a.signer, a.attrs, a) if a.signer \
        else content
    cek, nonce = os.urandom(32), os.urandom(12)
    ct = AESGCM(cek).encrypt(nonce, payload, None)
    ct, tag = ct[:-16], ct[-16:]
    ris = []
    for r in a.recip:
        kind, path = r.split(":", 1)
        cert, acert = load_cert(path)
        if kind in ("rsa", "rsa-v15"):
            ris.append(ktri(cert, acert, cek, v15=kind == "rsa-v15"))
        elif a.fake_reks:
            # asn1crypto reads the real one back: DER inside, BER around.
            BER = False
            ri = kari(cert, acert, cek)
            BER = a.ber
            ris.append(fake_reks(ri, a.fake_reks))
        else:
            ris.append(kari(cert, acert, cek))
    if a.fakes:
        ris = place(ris, [fake_ktri() for _ in range(a.fakes)], a.at)
    orig = b""
    if a.originator_certs:
        _, acert = load_cert(a.recip[0].split(":", 1)[1])
        orig = implicit_cons(0, implicit_cons(
            0, acert.dump() * a.originator_certs))
    gcm = seq(octets(nonce) + integer(16))
    eci = seq(oid(ID_DATA) + algid("2.16.840.1.101.3.4.1.46", gcm) +
              octets(ct, tag=0x80))
    # --at keeps the order given (BER allows it; OpenSSL does not care).
    env = seq(integer(0) + orig + set_of(ris, der_sorted=not BER and
                                         not a.at) + eci +
              octets(tag))
    out = seq(oid(ID_AUTH_ENV) + explicit(0, env))
    if a.pem:
        b = base64.b64encode(out).decode()
        out = ("-----BEGIN CMS-----\n" +
               "\n".join(b[i:i + 64] for i in range(0, len(b), 64)) +
               "\n-----END CMS-----\n").encode()
    open(a.out, "wb").write(out)
    print("ok sealed %s: %d bytes, %s" % (a.out, len(out),
                                          "BER" if BER else "DER"))


def parser():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("batch")
    b.add_argument("file")
    c = sub.add_parser("check-der")
    c.add_argument("file")
    o = sub.add_parser("open")
    o.add_argument("file")
    o.add_argument("--key", required=True)
    o.add_argument("--cert", required=True)
    o.add_argument("--signer", action="append", default=[])
    o.add_argument("--out", required=True)
    o.add_argument("--name")
    o.add_argument("--seq", type=int)
    o.add_argument("--signers", type=int)
    o.add_argument("--check-der", action="store_true")
    s = sub.add_parser("seal")
    s.add_argument("input")
    s.add_argument("--out", required=True)
    s.add_argument("--recip", action="append", required=True)
    s.add_argument("--signer", action="append", default=[])
    s.add_argument("--attrs", default="certseal",
                   choices=["certseal", "plain", "none"])
    s.add_argument("--ber", action="store_true")
    s.add_argument("--pem", action="store_true")
    s.add_argument("--name")
    s.add_argument("--seq", type=int)
    s.add_argument("--junk-signers", type=int, default=0)
    s.add_argument("--junk-certs", type=int, default=0)
    s.add_argument("--junk-untrusted", action="store_true")
    s.add_argument("--originator-certs", type=int, default=0)
    # Many recipients (envelope-recipients.c): --fakes KTRIs nobody holds
    # around the real ones (--at), --fake-reks keys before a KARI's own.
    s.add_argument("--fakes", type=int, default=0)
    s.add_argument("--at", choices=["first", "middle", "last"])
    s.add_argument("--fake-reks", type=int, default=0)
    return p


def run(argv):
    """One job; returns 0 or 1 (and says why on stdout)."""
    a = parser().parse_args(argv)
    try:
        {"check-der": cmd_check_der, "open": cmd_open,
         "seal": cmd_seal, "batch": cmd_batch}[a.cmd](a)
        return 0
    except (Bad, ValueError, KeyError, TypeError, InvalidSignature,
            InvalidTag) as e:
        print("FAIL %s: %s: %s" % (" ".join(argv), type(e).__name__, e))
        return 1


def cmd_batch(a):
    """One job per line (a Python start costs ~0.3 s; batch them)."""
    failed = 0
    for line in open(a.file):
        if line.strip() and not line.startswith("#"):
            failed += run(shlex.split(line))
    if failed:
        raise Bad("%d job(s) failed" % failed)


def main():
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
