/*
 * BcInterop - Bouncy Castle as an independent CMS implementation for
 * tests/integration/test-interop.sh.  One JVM runs a whole batch (a JVM
 * start costs about half a second): each line of the job file is one
 * job, `open` (decrypt and verify a sealed file the way a Java client
 * would) or `seal` (write a file the way a Java producer would).  Prints
 * one line per job, "ok ..." or "FAIL ...", and exits 1 if any failed.
 *
 *   open in=F out=F key=K cert=C [signer=S1,S2] [name=N] [seq=Q] [nosig]
 *   seal in=F out=F recips=rsa:C,ec:C,rsa-ias:C,ec-ias:C,rsa-v15:C,ec-sha1:C
 *        [signer=K:C[,K:C]] [attrs=certseal|plain|none] [inner=der|ber]
 *        [outer=der|ber|pem] [enc=gcm|cbc] [ctype=data|signed]
 *        [name=N] [seq=Q]
 *
 * rsa: OAEP SHA-256 by SKID; rsa-ias: the same by issuer and serial;
 * rsa-v15: PKCS#1 v1.5; ec: ECDH SHA-256 KDF + AES-256 wrap by SKID;
 * ec-ias: by issuer and serial; ec-sha1: the SHA-1 KDF.
 */
import java.io.*;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.security.spec.*;
import java.util.*;

import org.bouncycastle.asn1.*;
import org.bouncycastle.asn1.cms.*;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAESOAEPparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cms.*;
import org.bouncycastle.cms.jcajce.*;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OutputAEADEncryptor;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.util.encoders.Base64;

public class BcInterop {
	static final String ARC = "2.25.29844361494787475963376958306872902551";
	static final ASN1ObjectIdentifier OID_NAME = new ASN1ObjectIdentifier(ARC + ".1");
	static final ASN1ObjectIdentifier OID_SEQ = new ASN1ObjectIdentifier(ARC + ".2");

	public static void main(String[] argv) throws Exception {
		Security.addProvider(new BouncyCastleProvider());
		int failed = 0;
		for (String line : Files.readAllLines(Paths.get(argv[0]))) {
			line = line.trim();
			if (line.isEmpty() || line.startsWith("#"))
				continue;
			Map<String, String> a = new HashMap<>();
			String[] w = line.split("\\s+");
			for (int i = 1; i < w.length; i++) {
				int eq = w[i].indexOf('=');
				a.put(eq < 0 ? w[i] : w[i].substring(0, eq),
				    eq < 0 ? "" : w[i].substring(eq + 1));
			}
			try {
				String r = w[0].equals("open") ? open(a) : seal(a);
				System.out.println("ok " + line + " " + r);
			} catch (Exception e) {
				failed++;
				System.out.println("FAIL " + line + ": " + e);
			}
		}
		System.exit(failed == 0 ? 0 : 1);
	}

	static byte[] read(String f) throws IOException {
		return Files.readAllBytes(Paths.get(f));
	}

	/* PEM (any label) or DER/BER. */
	static byte[] unpem(byte[] b) {
		String s = new String(b, StandardCharsets.ISO_8859_1);
		int i = s.indexOf("-----BEGIN ");
		if (i < 0)
			return b;
		int body = s.indexOf('\n', i) + 1;
		int end = s.indexOf("-----END ", body);
		return Base64.decode(s.substring(body, end).replaceAll("\\s", ""));
	}

	static X509Certificate cert(String f) throws Exception {
		return (X509Certificate) CertificateFactory.getInstance("X.509")
		    .generateCertificate(new ByteArrayInputStream(read(f)));
	}

	static PrivateKey key(String f) throws Exception {
		try (PEMParser p = new PEMParser(new FileReader(f))) {
			Object o = p.readObject();
			JcaPEMKeyConverter c = new JcaPEMKeyConverter();
			if (o instanceof PrivateKeyInfo)
				return c.getPrivateKey((PrivateKeyInfo) o);
			return c.getKeyPair((org.bouncycastle.openssl.PEMKeyPair) o)
			    .getPrivate();
		}
	}

	static byte[] skid(X509Certificate c) {
		byte[] ext = c.getExtensionValue(Extension.subjectKeyIdentifier.getId());
		return SubjectKeyIdentifier.getInstance(
		    ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
	}

	/* ---- open: what a Java client does with a certseal file ---- */

	static String open(Map<String, String> a) throws Exception {
		X509Certificate rc = cert(a.get("cert"));
		PrivateKey pk = key(a.get("key"));
		byte[] der = unpem(read(a.get("in")));
		ContentInfo ci = ContentInfo.getInstance(der);
		if (!ci.getContentType().equals(CMSObjectIdentifiers.authEnvelopedData))
			throw new Exception("not AuthEnvelopedData");
		/* BC enforces RFC 5083 2.1 (authAttrs for non-data) here. */
		CMSAuthEnvelopedData env = new CMSAuthEnvelopedData(ci);
		boolean rsa = rc.getPublicKey().getAlgorithm().equals("RSA");
		RecipientId rid = rsa ? new KeyTransRecipientId(skid(rc))
		    : new KeyAgreeRecipientId(skid(rc));
		RecipientInformation ri = env.getRecipientInfos().get(rid);
		if (ri == null)
			throw new Exception("no recipient for " + a.get("cert"));
		Recipient r = rsa ? new JceKeyTransAuthEnvelopedRecipient(pk)
		    .setProvider("BC") : new JceKeyAgreeEnvelopedRecipient(pk)
		    .setProvider("BC");
		byte[] inner = ri.getContent(r);
		String what;
		byte[] content;
		if (a.containsKey("nosig")) {
			content = inner;
			what = "unsigned";
		} else {
			CMSSignedData sd = new CMSSignedData(inner);
			List<X509Certificate> trusted = new ArrayList<>();
			for (String s : a.get("signer").split(","))
				trusted.add(cert(s));
			int good = 0;
			String name = null;
			BigInteger seq = null;
			for (SignerInformation si : sd.getSignerInfos().getSigners()) {
				for (X509Certificate t : trusted) {
					if (!si.getSID().match(new X509CertificateHolder(
					    t.getEncoded())))
						continue;
					if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder()
					    .setProvider("BC").build(t)))
						throw new Exception("signature does not verify");
					good++;
					AttributeTable at = si.getSignedAttributes();
					Attribute n = at == null ? null : at.get(OID_NAME);
					Attribute q = at == null ? null : at.get(OID_SEQ);
					if (n != null)
						name = ASN1UTF8String.getInstance(n
						    .getAttrValues().getObjectAt(0)).getString();
					if (q != null)
						seq = ASN1Integer.getInstance(q
						    .getAttrValues().getObjectAt(0)).getValue();
				}
			}
			if (good == 0)
				throw new Exception("no trusted signer");
			if (a.containsKey("signers") &&
			    good != Integer.parseInt(a.get("signers")))
				throw new Exception(good + " signers verified");
			if (a.containsKey("name") && !a.get("name").equals(name))
				throw new Exception("name " + name);
			if (a.containsKey("seq") && (seq == null ||
			    !seq.toString().equals(a.get("seq"))))
				throw new Exception("sequence " + seq);
			content = (byte[]) sd.getSignedContent().getContent();
			what = good + " signer(s) name=" + name + " seq=" + seq;
		}
		Files.write(Paths.get(a.get("out")), content);
		return what;
	}

	/* ---- seal: what a Java producer writes ---- */

	static String seal(Map<String, String> a) throws Exception {
		byte[] content = read(a.get("in"));
		String attrs = a.getOrDefault("attrs", "certseal");
		byte[] payload = content;
		if (a.containsKey("signer"))
			payload = sign(content, a, attrs);
		ASN1ObjectIdentifier ctype = a.getOrDefault("ctype", "data")
		    .equals("signed") ? CMSObjectIdentifiers.signedData
		    : CMSObjectIdentifiers.data;
		CMSTypedData td = new CMSProcessableByteArray(ctype, payload);
		ContentInfo ci;
		if (a.getOrDefault("enc", "gcm").equals("cbc")) {
			CMSEnvelopedDataGenerator g = new CMSEnvelopedDataGenerator();
			addRecipients(g, a.get("recips"));
			OutputEncryptor oe = new JceCMSContentEncryptorBuilder(
			    CMSAlgorithm.AES256_CBC).setProvider("BC").build();
			ci = g.generate(td, oe).toASN1Structure();
		} else {
			CMSAuthEnvelopedDataGenerator g =
			    new CMSAuthEnvelopedDataGenerator();
			addRecipients(g, a.get("recips"));
			/* RFC 5083 2.1: authAttrs (content type) for non-data. */
			if (!ctype.equals(CMSObjectIdentifiers.data)) {
				final ASN1ObjectIdentifier t = ctype;
				g.setAuthenticatedAttributeGenerator(params ->
				    new AttributeTable(new Attribute(
				    CMSAttributes.contentType, new DERSet(t))));
			}
			OutputAEADEncryptor oe = (OutputAEADEncryptor)
			    new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_GCM)
			    .setProvider("BC").build();
			ci = g.generate(td, oe).toASN1Structure();
		}
		String outer = a.getOrDefault("outer", "ber");
		byte[] enc = ci.getEncoded(outer.equals("der") ? ASN1Encoding.DER
		    : ASN1Encoding.BER);
		if (outer.equals("pem"))
			enc = ("-----BEGIN CMS-----\n" + Base64.toBase64String(enc)
			    .replaceAll("(.{64})", "$1\n") + "\n-----END CMS-----\n")
			    .getBytes(StandardCharsets.US_ASCII);
		Files.write(Paths.get(a.get("out")), enc);
		return enc.length + " bytes, first " + String.format("%02x %02x",
		    enc[0], enc[1]);
	}

	static byte[] sign(byte[] content, Map<String, String> a, String attrs)
	    throws Exception {
		boolean ber = a.getOrDefault("inner", "ber").equals("ber");
		CMSSignedDataGenerator g = new CMSSignedDataGenerator();
		List<X509Certificate> certs = new ArrayList<>();
		for (String kc : a.get("signer").split(",")) {
			String[] p = kc.split(":");
			PrivateKey k = key(p[0]);
			X509Certificate c = cert(p[1]);
			certs.add(c);
			String alg = k.getAlgorithm().equals("RSA") ? "SHA256withRSA"
			    : "SHA256withECDSA";
			JcaSignerInfoGeneratorBuilder b =
			    new JcaSignerInfoGeneratorBuilder(
			    new JcaDigestCalculatorProviderBuilder().setProvider("BC")
			    .build());
			if (attrs.equals("none"))
				b.setDirectSignature(true);
			else if (attrs.equals("certseal")) {
				ASN1EncodableVector v = new ASN1EncodableVector();
				if (a.containsKey("name"))
					v.add(new Attribute(OID_NAME, new DERSet(
					    new DERUTF8String(a.get("name")))));
				v.add(new Attribute(OID_SEQ, new DERSet(new ASN1Integer(
				    new BigInteger(a.getOrDefault("seq", "1"))))));
				b.setSignedAttributeGenerator(
				    new DefaultSignedAttributeTableGenerator(
				    new AttributeTable(v)));
			}
			ContentSigner cs = new JcaContentSignerBuilder(alg)
			    .setProvider("BC").build(k);
			g.addSignerInfoGenerator(b.build(cs, new JcaX509CertificateHolder(c)));
		}
		g.addCertificates(new JcaCertStore(certs));
		CMSSignedData sd = g.generate(new CMSProcessableByteArray(content),
		    true);
		return sd.toASN1Structure().getEncoded(ber ? ASN1Encoding.BER
		    : ASN1Encoding.DER);
	}

	static void addRecipients(CMSEnvelopedGenerator g, String spec)
	    throws Exception {
		for (String r : spec.split(",")) {
			int i = r.indexOf(':');
			String kind = r.substring(0, i);
			X509Certificate c = cert(r.substring(i + 1));
			AlgorithmIdentifier oaep = new AlgorithmIdentifier(
			    PKCSObjectIdentifiers.id_RSAES_OAEP, new RSAESOAEPparams(
			    new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256,
			    DERNull.INSTANCE), new AlgorithmIdentifier(
			    PKCSObjectIdentifiers.id_mgf1, new AlgorithmIdentifier(
			    NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE)),
			    RSAESOAEPparams.DEFAULT_P_SOURCE_ALGORITHM));
			switch (kind) {
			case "rsa":
				g.addRecipientInfoGenerator(
				    new JceKeyTransRecipientInfoGenerator(skid(c), oaep,
				    c.getPublicKey()).setProvider("BC"));
				break;
			case "rsa-ias":
				g.addRecipientInfoGenerator(
				    new JceKeyTransRecipientInfoGenerator(c, oaep)
				    .setProvider("BC"));
				break;
			case "rsa-v15":
				g.addRecipientInfoGenerator(
				    new JceKeyTransRecipientInfoGenerator(c)
				    .setProvider("BC"));
				break;
			case "ec":
			case "ec-ias":
			case "ec-sha1":
				KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC",
				    "BC");
				kpg.initialize(((java.security.interfaces.ECPublicKey)
				    c.getPublicKey()).getParams());
				KeyPair eph = kpg.generateKeyPair();
				JceKeyAgreeRecipientInfoGenerator k =
				    new JceKeyAgreeRecipientInfoGenerator(
				    kind.equals("ec-sha1") ? CMSAlgorithm.ECDH_SHA1KDF
				    : CMSAlgorithm.ECDH_SHA256KDF, eph.getPrivate(),
				    eph.getPublic(), CMSAlgorithm.AES256_WRAP)
				    .setProvider("BC");
				if (kind.equals("ec-ias"))
					k.addRecipient(c);
				else
					k.addRecipient(skid(c), c.getPublicKey());
				g.addRecipientInfoGenerator(k);
				break;
			default:
				throw new Exception("unknown recipient kind " + kind);
			}
		}
	}
}
