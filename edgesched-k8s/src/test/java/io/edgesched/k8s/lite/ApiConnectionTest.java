package io.edgesched.k8s.lite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiConnectionTest {
    @TempDir
    Path dir;

    @Test
    void kubeconfigWithATokenOverHttp() throws Exception {
        Path file = kubeconfig("http://127.0.0.1:1234/", "{token: s3cret}", "");
        try (ApiConnection api = ApiConnection.fromKubeconfig(file)) {
            assertThat(api.server().toString()).isEqualTo("http://127.0.0.1:1234");
            assertThat(api.authorization()).contains("Bearer s3cret");
            assertThat(api.request("/api/v1/nodes").build().headers().firstValue("Authorization")).contains("Bearer s3cret");
            assertThat(api.request("/api/v1/nodes").build().uri().toString()).isEqualTo("http://127.0.0.1:1234/api/v1/nodes");
            assertThat(api.describe()).contains("context test").contains(file.toString());
        }
    }

    @Test
    void tokenFilesAreReadAgainAfterAMinuteAndSurviveARotationGap() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "first\n");
        AtomicLong now = new AtomicLong();
        ApiConnection.Credentials credentials = ApiConnection.Credentials.tokenFile(token, now::get);
        assertThat(credentials.authorization()).contains("Bearer first");
        Files.writeString(token, "second");
        now.addAndGet(30_000_000_000L);
        assertThat(credentials.authorization()).as("read at most once a minute").contains("Bearer first");
        now.addAndGet(31_000_000_000L);
        assertThat(credentials.authorization()).contains("Bearer second");
        Files.delete(token);
        now.addAndGet(61_000_000_000L);
        assertThat(credentials.authorization()).as("a missing file keeps the last token").contains("Bearer second");
    }

    @Test
    void refusesWhatItCannotDoWithWhatToDo() throws Exception {
        Path exec = kubeconfig("https://127.0.0.1:6443", "{exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}}", "");
        assertThatThrownBy(() -> ApiConnection.fromKubeconfig(exec)).isInstanceOf(ApiConfigException.class)
                .hasMessageContaining("exec plugin").hasMessageContaining("--api-client FABRIC8");
        Path noContext = Files.writeString(dir.resolve("nocontext"), "apiVersion: v1\nkind: Config\nclusters: []\n");
        assertThatThrownBy(() -> ApiConnection.fromKubeconfig(noContext)).hasMessageContaining("no current-context");
        Path wrongContext = Files.writeString(dir.resolve("wrong"), "current-context: gone\ncontexts: []\n");
        assertThatThrownBy(() -> ApiConnection.fromKubeconfig(wrongContext)).hasMessageContaining("no context named gone");
        Path badCa = kubeconfig("https://127.0.0.1:6443", "{token: t}", "certificate-authority-data: bm90IGEgY2VydA==, ");
        assertThatThrownBy(() -> ApiConnection.fromKubeconfig(badCa)).hasMessageContaining("not a PEM certificate");
        Path missingCaFile = kubeconfig("https://127.0.0.1:6443", "{token: t}", "certificate-authority: nowhere.crt, ");
        assertThatThrownBy(() -> ApiConnection.fromKubeconfig(missingCaFile)).hasMessageContaining("nowhere.crt");
        assertThatThrownBy(() -> ApiConnection.fromKubeconfig(dir.resolve("absent"))).hasMessageContaining("cannot read kubeconfig");
    }

    @Test
    void inClusterFromTheServiceAccount() throws Exception {
        Tls server = Tls.create(dir, "server", "RSA");
        Path sa = Files.createDirectories(dir.resolve("sa"));
        Files.writeString(sa.resolve("token"), "pod-token");
        Files.writeString(sa.resolve("ca.crt"), server.certPem);
        try (ApiConnection api = ApiConnection.inCluster("fd00::1", "443", sa)) {
            assertThat(api.server().toString()).isEqualTo("https://[fd00::1]:443");
            assertThat(api.authorization()).contains("Bearer pod-token");
            assertThat(api.describe()).contains("in-cluster service account");
        }
        Files.delete(sa.resolve("token"));
        assertThatThrownBy(() -> ApiConnection.inCluster("10.96.0.1", "443", sa)).hasMessageContaining("token");
    }

    @Test
    void httpsWithTheClustersCaAndClientCertificatesInEachKeyFormat() throws Exception {
        Tls server = Tls.create(dir, "server", "RSA");
        Tls rsaClient = Tls.create(dir, "rsa-client", "RSA");
        Tls ecClient = Tls.create(dir, "ec-client", "EC");
        AtomicReference<String> seenAuthorization = new AtomicReference<>();
        AtomicReference<String> seenClient = new AtomicReference<>();
        HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(server.serverContext(rsaClient, ecClient)) {
            @Override
            public void configure(HttpsParameters params) {
                var p = getSSLContext().getDefaultSSLParameters();
                p.setNeedClientAuth(true);
                params.setSSLParameters(p);
            }
        });
        https.createContext("/", exchange -> {
            seenAuthorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
            var session = ((com.sun.net.httpserver.HttpsExchange) exchange).getSSLSession();
            seenClient.set(session.getPeerPrincipal().getName());
            byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        https.start();
        try {
            String url = "https://127.0.0.1:" + https.getAddress().getPort();
            String ca = "certificate-authority-data: " + b64(server.certPem) + ", ";
            for (var client : List.of(
                    new String[] {"pkcs8-rsa", rsaClient.certPem, rsaClient.pkcs8Pem, "CN=rsa-client"},
                    new String[] {"pkcs1-rsa", rsaClient.certPem, rsaClient.openssl("rsa", "-traditional"), "CN=rsa-client"},
                    new String[] {"sec1-ec", ecClient.certPem, ecClient.openssl("ec"), "CN=ec-client"})) {
                Path file = kubeconfig(url, "{client-certificate-data: " + b64(client[1]) + ", client-key-data: "
                        + b64(client[2]) + ", token: t-" + client[0] + "}", ca);
                try (ApiConnection api = ApiConnection.fromKubeconfig(file)) {
                    HttpResponse<String> r = api.http().send(api.request("/version").build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(client[0]).isEqualTo(200);
                    assertThat(seenAuthorization.get()).isEqualTo("Bearer t-" + client[0]);
                    assertThat(seenClient.get()).isEqualTo(client[3]);
                }
            }
            // without the cluster's CA the server is not trusted
            Path noCa = kubeconfig(url, "{client-certificate-data: " + b64(rsaClient.certPem) + ", client-key-data: "
                    + b64(rsaClient.pkcs8Pem) + "}", "");
            try (ApiConnection api = ApiConnection.fromKubeconfig(noCa)) {
                assertThatThrownBy(() -> api.http().send(api.request("/version").build(), HttpResponse.BodyHandlers.ofString()))
                        .hasCauseInstanceOf(SSLHandshakeException.class);
            }
        } finally {
            https.stop(0);
        }
    }

    @Test
    void insecureSkipsTheCertificateAndTheHostNameAsKubectlDoes() throws Exception {
        Tls elsewhere = Tls.create(dir, "elsewhere", "EC", "dns:api.example.invalid"); // not 127.0.0.1
        HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(elsewhere.serverContext()));
        https.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        https.start();
        try {
            String url = "https://127.0.0.1:" + https.getAddress().getPort();
            Path trusted = kubeconfig(url, "{token: t}", "certificate-authority-data: " + b64(elsewhere.certPem) + ", ");
            try (ApiConnection api = ApiConnection.fromKubeconfig(trusted)) {
                assertThatThrownBy(() -> api.http().send(api.request("/version").build(), HttpResponse.BodyHandlers.discarding()))
                        .as("a trusted certificate for another name is refused").hasCauseInstanceOf(SSLHandshakeException.class);
            }
            Path insecure = kubeconfig(url, "{token: t}", "insecure-skip-tls-verify: true, ");
            try (ApiConnection api = ApiConnection.fromKubeconfig(insecure)) {
                assertThat(api.http().send(api.request("/version").build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode()).isEqualTo(200);
            }
        } finally {
            https.stop(0);
        }
    }

    private Path kubeconfig(String server, String user, String clusterExtra) throws Exception {
        return Files.writeString(Files.createTempFile(dir, "kubeconfig", ""), """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: {%sserver: "%s"}}]
                users: [{name: u, user: %s}]
                contexts: [{name: test, context: {cluster: c, user: u}}]
                current-context: test
                """.formatted(clusterExtra, server, user));
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** A self-signed key pair made by the JDK's keytool, as PEM and as a PKCS12 store. */
    private record Tls(Path store, String certPem, String pkcs8Pem) {
        static final char[] PASSWORD = "changeit".toCharArray();

        static Tls create(Path dir, String name, String algorithm) throws Exception {
            return create(dir, name, algorithm, "ip:127.0.0.1");
        }

        static Tls create(Path dir, String name, String algorithm, String subjectAltName) throws Exception {
            Path store = dir.resolve(name + ".p12");
            run(List.of(keytool(), "-genkeypair", "-alias", name, "-keyalg", algorithm, "-dname", "CN=" + name,
                    "-ext", "san=" + subjectAltName, "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12",
                    "-storepass", "changeit"), dir);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (var in = new FileInputStream(store.toFile())) {
                ks.load(in, PASSWORD);
            }
            String cert = pem("CERTIFICATE", ks.getCertificate(name).getEncoded());
            String key = pem("PRIVATE KEY", ks.getKey(name, PASSWORD).getEncoded());
            return new Tls(store, cert, key);
        }

        /** This key rewritten by openssl (e.g. "rsa -traditional" for PKCS#1, "ec" for SEC1). */
        String openssl(String... command) throws Exception {
            Path in = Files.writeString(Files.createTempFile(store.getParent(), "key", ".pem"), pkcs8Pem);
            Path out = store.getParent().resolve(in.getFileName() + ".out");
            List<String> args = new java.util.ArrayList<>(List.of("openssl"));
            args.addAll(List.of(command));
            args.addAll(List.of("-in", in.toString(), "-out", out.toString()));
            run(args, store.getParent());
            String text = Files.readString(out);
            assertThat(text).containsAnyOf("BEGIN RSA PRIVATE KEY", "BEGIN EC PRIVATE KEY");
            return text;
        }

        SSLContext serverContext(Tls... trustedClients) throws Exception {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (var in = new FileInputStream(store.toFile())) {
                ks.load(in, PASSWORD);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PASSWORD);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Tls c : trustedClients) {
                trust.setCertificateEntry("client" + i++, io.edgesched.k8s.lite.Pem.certificates(
                        c.certPem.getBytes(StandardCharsets.US_ASCII)).getFirst());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        }

        private static String pem(String type, byte[] der) {
            return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                    + "\n-----END " + type + "-----\n";
        }

        private static String keytool() {
            return Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        }

        private static void run(List<String> command, Path dir) throws Exception {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as("%s: %s", command, output).isZero();
        }
    }
}
