package dev.ocitag.distribution;

import dev.ocitag.core.OcitagException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * PEM files as docker's {@code certs.d} and {@code --ca-file} hold them: certificates, and private
 * keys in PKCS#8 ({@code PRIVATE KEY}), RSA PKCS#1 ({@code RSA PRIVATE KEY}) or EC SEC1 ({@code EC
 * PRIVATE KEY}) form; the last two are wrapped into PKCS#8 for the JDK. Encrypted keys are refused
 * (docker cannot use them either). Text around the blocks, as in CA bundles, is skipped.
 */
final class Pem {
  private static final byte[] RSA_ENCRYPTION = {
    0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01
  };
  private static final byte[] EC_PUBLIC_KEY = {
    0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01
  };

  private Pem() {}

  /** One block: its label ({@code CERTIFICATE}) and its bytes. */
  record Block(String label, byte[] der) {}

  static List<Block> blocks(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new OcitagException.InvalidInput("cannot read " + file + ": " + e.getMessage());
    }
    List<Block> blocks = new ArrayList<>();
    int at = 0;
    while (true) {
      int begin = text.indexOf("-----BEGIN ", at);
      if (begin < 0) {
        return blocks;
      }
      int labelEnd = text.indexOf("-----", begin + 11);
      if (labelEnd < 0) {
        throw invalid(file, "a BEGIN line without its end");
      }
      String label = text.substring(begin + 11, labelEnd);
      String endLine = "-----END " + label + "-----";
      int end = text.indexOf(endLine, labelEnd);
      if (end < 0) {
        throw invalid(file, "no '" + endLine + "'");
      }
      String body = text.substring(labelEnd + 5, end);
      if (body.contains("ENCRYPTED")) {
        throw invalid(file, "the key is encrypted; give it without a passphrase");
      }
      try {
        blocks.add(new Block(label, Base64.getMimeDecoder().decode(body.strip())));
      } catch (IllegalArgumentException e) {
        throw invalid(file, label + " is not base64");
      }
      at = end + endLine.length();
    }
  }

  /** Every certificate in the file; at least one. */
  static List<X509Certificate> certificates(Path file) {
    List<X509Certificate> certs = new ArrayList<>();
    CertificateFactory factory = null;
    for (Block block : blocks(file)) {
      if (!block.label().equals("CERTIFICATE") && !block.label().equals("TRUSTED CERTIFICATE")) {
        continue;
      }
      try {
        if (factory == null) {
          factory = CertificateFactory.getInstance("X.509");
        }
        certs.add(
            (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
      } catch (CertificateException e) {
        throw invalid(file, "a certificate does not parse (" + e.getMessage() + ")");
      }
    }
    if (certs.isEmpty()) {
      throw invalid(file, "no '-----BEGIN CERTIFICATE-----' block");
    }
    return certs;
  }

  /** The file's one private key. */
  static PrivateKey privateKey(Path file) {
    for (Block block : blocks(file)) {
      switch (block.label()) {
        case "ENCRYPTED PRIVATE KEY" ->
            throw invalid(file, "the key is encrypted; give it without a passphrase");
        case "PRIVATE KEY" -> {
          return pkcs8(file, block.der(), "RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS");
        }
        case "RSA PRIVATE KEY" -> {
          byte[] algorithm = sequence(RSA_ENCRYPTION, new byte[] {0x05, 0x00});
          return pkcs8(file, wrap(algorithm, block.der()), "RSA");
        }
        case "EC PRIVATE KEY" -> {
          byte[] curve = sec1Curve(file, block.der());
          return pkcs8(file, wrap(sequence(EC_PUBLIC_KEY, curve), block.der()), "EC");
        }
        default -> {
          // a certificate or parameters next to the key
        }
      }
    }
    throw invalid(file, "no private key block (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
  }

  private static PrivateKey pkcs8(Path file, byte[] der, String... algorithms) {
    for (String algorithm : algorithms) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw invalid(file, "the private key does not parse as " + String.join(", ", algorithms));
  }

  /** PKCS#8 PrivateKeyInfo: version 0, the algorithm, the key as an octet string. */
  private static byte[] wrap(byte[] algorithm, byte[] key) {
    return sequence(new byte[] {0x02, 0x01, 0x00}, algorithm, tlv(0x04, key));
  }

  /**
   * The named curve of a SEC1 ECPrivateKey: {@code SEQUENCE { INTEGER 1, OCTET STRING, [0] OID }};
   * the OID's whole encoding.
   */
  private static byte[] sec1Curve(Path file, byte[] der) {
    try {
      Der outer = new Der(der, 0);
      int at = outer.tag == 0x30 ? outer.contentStart : der.length;
      while (at < outer.contentEnd) {
        Der element = new Der(der, at);
        if (element.tag == 0xa0) {
          Der oid = new Der(der, element.contentStart);
          if (oid.tag == 0x06) {
            return Arrays.copyOfRange(der, element.contentStart, oid.contentEnd);
          }
        }
        at = element.contentEnd;
      }
    } catch (IllegalArgumentException e) {
      throw invalid(file, "the EC key is not a SEC1 structure (" + e.getMessage() + ")");
    }
    throw invalid(file, "the EC key names no curve (write it with its parameters, or as PKCS#8)");
  }

  /** One DER element's tag and where its content starts and ends. */
  private static final class Der {
    final int tag;
    final int contentStart;
    final int contentEnd;

    Der(byte[] der, int at) {
      if (at + 2 > der.length) {
        throw new IllegalArgumentException("truncated DER");
      }
      tag = der[at] & 0xff;
      int first = der[at + 1] & 0xff;
      int length;
      int start;
      if (first < 0x80) {
        length = first;
        start = at + 2;
      } else {
        int n = first & 0x7f;
        if (n == 0 || n > 3 || at + 2 + n > der.length) {
          throw new IllegalArgumentException("bad DER length");
        }
        length = 0;
        for (int i = 0; i < n; i++) {
          length = (length << 8) | (der[at + 2 + i] & 0xff);
        }
        start = at + 2 + n;
      }
      if (start + length > der.length) {
        throw new IllegalArgumentException("truncated DER");
      }
      contentStart = start;
      contentEnd = start + length;
    }
  }

  private static byte[] sequence(byte[]... parts) {
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      content.writeBytes(part);
    }
    return tlv(0x30, content.toByteArray());
  }

  private static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int n = content.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >> 16);
      out.write(n >> 8);
      out.write(n);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  private static OcitagException.InvalidInput invalid(Path file, String why) {
    return new OcitagException.InvalidInput(file + " is not a usable PEM file: " + why);
  }
}
