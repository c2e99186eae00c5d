package dev.ocitag.dist;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ocitag.ecr.testing.FakeEcr;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An STS endpoint on loopback that answers {@code AssumeRoleWithWebIdentity} (the query protocol,
 * an XML answer) as STS does for a CI job's OIDC token: the AWS SDK's default chain reads {@code
 * AWS_WEB_IDENTITY_TOKEN_FILE} and {@code AWS_ROLE_ARN} and asks here ({@code
 * AWS_ENDPOINT_URL_STS}). Only the expected token and role get {@link FakeEcr}'s keys; anything
 * else is AccessDenied, as STS answers.
 */
final class FakeSts implements AutoCloseable {
  static final String ROLE = "arn:aws:iam::" + FakeEcr.ACCOUNT + ":role/ocitag-ci";

  private final HttpServer server;
  private final String token;
  private final AtomicInteger granted = new AtomicInteger();

  private FakeSts(HttpServer server, String token) {
    this.server = server;
    this.token = token;
  }

  /** Serves on a free loopback port; {@code token} is the one web identity token it accepts. */
  static FakeSts start(String token) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    FakeSts sts = new FakeSts(server, token);
    server.createContext("/", sts::answer);
    server.start();
    return sts;
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** How many web identity tokens were exchanged for credentials. */
  int granted() {
    return granted.get();
  }

  private void answer(HttpExchange exchange) throws IOException {
    Map<String, String> form = new HashMap<>();
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        form.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    String xml;
    int status;
    if ("AssumeRoleWithWebIdentity".equals(form.get("Action"))
        && token.equals(form.get("WebIdentityToken"))
        && ROLE.equals(form.get("RoleArn"))) {
      granted.incrementAndGet();
      status = 200;
      xml =
          "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
              + "<AssumeRoleWithWebIdentityResult><Credentials>"
              + "<AccessKeyId>"
              + FakeEcr.ACCESS_KEY
              + "</AccessKeyId><SecretAccessKey>"
              + FakeEcr.SECRET_KEY
              + "</SecretAccessKey><SessionToken>fake-session-token</SessionToken>"
              + "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
              + "<SubjectFromWebIdentityToken>repo:ocitag</SubjectFromWebIdentityToken>"
              + "<AssumedRoleUser><Arn>arn:aws:sts::"
              + FakeEcr.ACCOUNT
              + ":assumed-role/ocitag-ci/"
              + form.getOrDefault("RoleSessionName", "s")
              + "</Arn><AssumedRoleId>AROAOCITAG:s</AssumedRoleId></AssumedRoleUser>"
              + "</AssumeRoleWithWebIdentityResult>"
              + "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
              + "</AssumeRoleWithWebIdentityResponse>";
    } else {
      status = 403;
      xml =
          "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
              + "<Type>Sender</Type><Code>AccessDenied</Code>"
              + "<Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message>"
              + "</Error><RequestId>2</RequestId></ErrorResponse>";
    }
    byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "text/xml");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
