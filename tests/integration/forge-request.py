#!/usr/bin/python3
# forge-request.py IN.csr OTHER.csr OUT.csr: IN's request with OTHER's
# public key put in its place, IN's signature kept - a request whose
# signature does not match its key (what a planted or tampered request
# looks like).  Independent of certseal: asn1crypto only.
import sys

from asn1crypto import csr, pem


def load(path):
    data = open(path, 'rb').read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return csr.CertificationRequest.load(data)


req = load(sys.argv[1])
other = load(sys.argv[2])
info = req['certification_request_info']
info['subject_pk_info'] = other['certification_request_info'][
    'subject_pk_info']
# force re-encoding of the changed info
req['certification_request_info'] = csr.CertificationRequestInfo.load(
    info.dump(force=True))
open(sys.argv[3], 'wb').write(pem.armor('CERTIFICATE REQUEST',
                                        req.dump(force=True)))
