package io.edgesched.k8s.lite;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The agent's connection to the API server without fabric8: the server, TLS and credentials from a kubeconfig (its
 * current context) or from the pod's service account. Supports bearer tokens (inline or a file, re-read at most every
 * 60 s since bound service-account tokens rotate), client certificates (PEM: PKCS#8, PKCS#1 RSA, SEC1 EC keys),
 * basic auth, a CA (file or inline) and insecure-skip-tls-verify (neither certificate nor host name checked, as with
 * kubectl). Exec credential
 * plugins and auth providers are refused with what to do instead.
 */
public final class ApiConnection implements ApiAccess, AutoCloseable {
    static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
    private static final long TOKEN_REREAD_NANOS = Duration.ofSeconds(60).toNanos();

    private final URI server;
    private final HttpClient http;
    private final String describe;
    private final Credentials credentials;

    private ApiConnection(URI server, SSLContext tls, Credentials credentials, String describe) {
        this.server = server;
        HttpClient.Builder builder = clientBuilder();
        if (tls != null) {
            builder.sslContext(tls);
        }
        this.http = builder.build();
        this.credentials = credentials;
        this.describe = server + " (" + describe + ")";
    }

    /** HTTP/1.1 (WebSocket watches need it), a 10 s connect timeout. */
    static HttpClient.Builder clientBuilder() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10));
    }

    /** KUBECONFIG (its first file) if set; else the pod's service account if in a pod; else ~/.kube/config. */
    public static ApiConnection fromEnvironment() throws ApiConfigException {
        String kubeconfig = System.getenv("KUBECONFIG");
        if (kubeconfig != null && !kubeconfig.isBlank()) {
            return fromKubeconfig(Path.of(kubeconfig.split(java.io.File.pathSeparator)[0]));
        }
        String host = System.getenv("KUBERNETES_SERVICE_HOST");
        if (host != null && !host.isBlank() && Files.exists(SERVICE_ACCOUNT.resolve("token"))) {
            return inCluster(host, Optional.ofNullable(System.getenv("KUBERNETES_SERVICE_PORT")).orElse("443"),
                    SERVICE_ACCOUNT);
        }
        Path home = Path.of(System.getProperty("user.home"), ".kube", "config");
        if (Files.exists(home)) {
            return fromKubeconfig(home);
        }
        throw new ApiConfigException("no API server configured: KUBECONFIG is not set, this is not a pod (no"
                + " KUBERNETES_SERVICE_HOST and service-account token), and there is no " + home
                + "; set KUBECONFIG or run the agent in the cluster (deploy/daemonset-agent.yaml)");
    }

    /** The pod's service account: https://host:port, its ca.crt and its token (re-read as it rotates). */
    static ApiConnection inCluster(String host, String port, Path serviceAccount) throws ApiConfigException {
        String hostPart = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        URI server = URI.create("https://" + hostPart + ":" + port);
        Path ca = serviceAccount.resolve("ca.crt");
        SSLContext tls = tls(trustingCa(readFile(ca, "the service account's CA"), ca.toString()), null);
        Path token = serviceAccount.resolve("token");
        readFile(token, "the service account's token"); // fail now, not at the first request
        return new ApiConnection(server, tls, Credentials.tokenFile(token, System::nanoTime),
                "in-cluster service account");
    }

    /** The kubeconfig's current context. */
    public static ApiConnection fromKubeconfig(Path file) throws ApiConfigException {
        Map<?, ?> config;
        try {
            Object loaded = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
            if (!(loaded instanceof Map<?, ?> m)) {
                throw new ApiConfigException("kubeconfig " + file + " is not a YAML mapping");
            }
            config = m;
        } catch (IOException e) {
            throw new ApiConfigException("cannot read kubeconfig " + file + ": " + e.getMessage() + "; check KUBECONFIG", e);
        } catch (RuntimeException e) {
            throw new ApiConfigException("kubeconfig " + file + " is not valid YAML: " + e.getMessage(), e);
        }
        Kubeconfig k = new Kubeconfig(file, config);
        String contextName = k.string(config, "current-context");
        if (contextName == null) {
            throw new ApiConfigException("kubeconfig " + file + " has no current-context; run kubectl config use-context NAME");
        }
        Map<?, ?> context = k.named("contexts", contextName, "context");
        Map<?, ?> cluster = k.named("clusters", k.required(context, "cluster", "context " + contextName), "cluster");
        String userName = k.string(context, "user");
        Map<?, ?> user = userName == null ? Map.of() : k.named("users", userName, "user");

        String serverText = k.required(cluster, "server", "cluster of context " + contextName);
        URI server;
        try {
            server = URI.create(serverText.endsWith("/") ? serverText.substring(0, serverText.length() - 1) : serverText);
        } catch (IllegalArgumentException e) {
            throw new ApiConfigException("kubeconfig " + file + ": server '" + serverText + "' is not a URL", e);
        }
        if (user.containsKey("exec") || user.containsKey("auth-provider")) {
            throw new ApiConfigException("kubeconfig " + file + ": user " + userName + " gets its credentials from "
                    + (user.containsKey("exec") ? "an exec plugin" : "an auth provider") + ", which the agent's light API"
                    + " client does not run; run the agent in the cluster with its service account, put a token in the"
                    + " kubeconfig, or pass --api-client FABRIC8");
        }
        SSLContext tls = null;
        if ("https".equalsIgnoreCase(server.getScheme())) {
            TrustManager[] trust;
            if (Boolean.TRUE.equals(cluster.get("insecure-skip-tls-verify"))) {
                trust = new TrustManager[] {new TrustingEverything()};
            } else {
                byte[] ca = k.bytes(cluster, "certificate-authority-data", "certificate-authority");
                trust = ca == null ? null : trustingCa(ca, "certificate authority of cluster " + k.string(context, "cluster"));
            }
            byte[] cert = k.bytes(user, "client-certificate-data", "client-certificate");
            byte[] key = k.bytes(user, "client-key-data", "client-key");
            if ((cert == null) != (key == null)) {
                throw new ApiConfigException("kubeconfig " + file + ": user " + userName
                        + " has a client certificate without its key or a key without its certificate");
            }
            tls = tls(trust, cert == null ? null : keyManagers(cert, key, "user " + userName + " in " + file));
        }
        Credentials credentials;
        if (k.string(user, "token") != null) {
            String token = k.string(user, "token");
            credentials = () -> Optional.of("Bearer " + token);
        } else if (k.string(user, "tokenFile") != null) {
            Path tokenFile = k.path(k.string(user, "tokenFile"));
            readFile(tokenFile, "the token file of user " + userName);
            credentials = Credentials.tokenFile(tokenFile, System::nanoTime);
        } else if (k.string(user, "username") != null) {
            String basic = Base64.getEncoder().encodeToString((k.string(user, "username") + ":"
                    + java.util.Objects.requireNonNullElse(k.string(user, "password"), "")).getBytes(StandardCharsets.UTF_8));
            credentials = () -> Optional.of("Basic " + basic);
        } else {
            credentials = Optional::empty;
        }
        return new ApiConnection(server, tls, credentials, "kubeconfig " + file + ", context " + contextName);
    }

    @Override
    public URI server() {
        return server;
    }

    @Override
    public HttpClient http() {
        return http;
    }

    @Override
    public Optional<String> authorization() {
        return credentials.authorization();
    }

    /** The server and where its settings came from, for messages. */
    public String describe() {
        return describe;
    }

    @Override
    public void close() {
        http.close();
    }

    /** Yields the Authorization header's value. */
    interface Credentials {
        Optional<String> authorization();

        /** A token file read again once it is older than 60 s (bound service-account tokens rotate). */
        static Credentials tokenFile(Path file, LongSupplier nanoClock) {
            return new Credentials() {
                private String token;
                private long readAt;

                @Override
                public synchronized Optional<String> authorization() {
                    long now = nanoClock.getAsLong();
                    if (token == null || now - readAt >= TOKEN_REREAD_NANOS) {
                        try {
                            token = Files.readString(file).strip();
                            readAt = now;
                        } catch (IOException e) {
                            if (token == null) {
                                return Optional.empty(); // the server answers 401, and the watch says so
                            }
                            // keep the last token: a rotation in progress must not drop authentication
                        }
                    }
                    return Optional.of("Bearer " + token);
                }
            };
        }
    }

    private static byte[] readFile(Path file, String what) throws ApiConfigException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ApiConfigException("cannot read " + what + " at " + file + ": " + e.getMessage(), e);
        }
    }

    private static TrustManager[] trustingCa(byte[] pem, String what) throws ApiConfigException {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate c : Pem.certificates(pem)) {
                store.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new ApiConfigException(what + " holds no certificate");
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            return f.getTrustManagers();
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            throw new ApiConfigException(what + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static KeyManager[] keyManagers(byte[] certPem, byte[] keyPem, String what) throws ApiConfigException {
        try {
            List<X509Certificate> chain = Pem.certificates(certPem);
            PrivateKey key = Pem.privateKey(keyPem);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("client", key, new char[0], chain.toArray(new Certificate[0]));
            KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            f.init(store, new char[0]);
            return f.getKeyManagers();
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            throw new ApiConfigException("the client certificate or key of " + what + " is unusable: " + e.getMessage(), e);
        }
    }

    private static SSLContext tls(TrustManager[] trust, KeyManager[] keys) throws ApiConfigException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, new SecureRandom()); // null trust: the JDK's default CAs
            return context;
        } catch (GeneralSecurityException e) {
            throw new ApiConfigException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /**
     * insecure-skip-tls-verify: the user chose not to check the server's certificate, nor (as kubectl) its host name.
     * An extended trust manager, because the JDK checks the host name inside one and wraps a plain one in its own.
     */
    private static final class TrustingEverything extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** Typed access to a kubeconfig's YAML with messages that name the file and field. */
    private record Kubeconfig(Path file, Map<?, ?> root) {
        String string(Map<?, ?> map, String key) throws ApiConfigException {
            Object v = map.get(key);
            if (v == null || v instanceof String) {
                return (String) v;
            }
            if (v instanceof Number || v instanceof Boolean) {
                return v.toString();
            }
            throw new ApiConfigException("kubeconfig " + file + ": " + key + " is not a string");
        }

        String required(Map<?, ?> map, String key, String where) throws ApiConfigException {
            String v = string(map, key);
            if (v == null || v.isBlank()) {
                throw new ApiConfigException("kubeconfig " + file + ": " + where + " has no " + key);
            }
            return v;
        }

        /** The {@code field} of the entry called {@code name} in the list {@code list} (contexts, clusters, users). */
        Map<?, ?> named(String list, String name, String field) throws ApiConfigException {
            if (root.get(list) instanceof List<?> entries) {
                for (Object e : entries) {
                    if (e instanceof Map<?, ?> m && name.equals(m.get("name"))) {
                        if (m.get(field) instanceof Map<?, ?> value) {
                            return value;
                        }
                        throw new ApiConfigException("kubeconfig " + file + ": " + list + " entry " + name + " has no " + field);
                    }
                }
            }
            throw new ApiConfigException("kubeconfig " + file + " has no " + field + " named " + name + " in " + list
                    + "; check with kubectl config view");
        }

        /** Inline base64 data, else the file a path names (relative to the kubeconfig's folder), else null. */
        byte[] bytes(Map<?, ?> map, String dataKey, String fileKey) throws ApiConfigException {
            String data = string(map, dataKey);
            if (data != null) {
                try {
                    return Base64.getMimeDecoder().decode(data);
                } catch (IllegalArgumentException e) {
                    throw new ApiConfigException("kubeconfig " + file + ": " + dataKey + " is not base64", e);
                }
            }
            String path = string(map, fileKey);
            return path == null ? null : readFile(path(path), fileKey + " of kubeconfig " + file);
        }

        Path path(String text) {
            Path p = Path.of(text);
            Path dir = file.toAbsolutePath().getParent();
            return p.isAbsolute() || dir == null ? p : dir.resolve(p);
        }
    }
}
