package io.edgesched.k8s.lite;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Optional;

/**
 * How the light client reaches the API server: its address, an HTTP client (with the TLS setup) and builders that
 * carry the credentials.
 */
public interface ApiAccess {
    /** The API server's base address, e.g. {@code https://10.96.0.1:443}; no trailing slash. */
    URI server();

    /** The client all requests and WebSockets go through. */
    HttpClient http();

    /** The Authorization header's value, if there are credentials. */
    Optional<String> authorization();

    /** A request to {@code server() + pathAndQuery}, accepting JSON, with the Authorization header set (if any). */
    default HttpRequest.Builder request(String pathAndQuery) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server() + pathAndQuery)).timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json");
        authorization().ifPresent(a -> b.header("Authorization", a));
        return b;
    }

    /** A WebSocket builder with the Authorization header set (if any). */
    default WebSocket.Builder webSocket() {
        WebSocket.Builder b = http().newWebSocketBuilder();
        authorization().ifPresent(a -> b.header("Authorization", a));
        return b;
    }

    /**
     * Access without credentials, over HTTP/1.1: for {@code kubectl proxy} and tests.
     *
     * @param server an {@code http} or {@code https} base address; a trailing slash is dropped
     */
    static ApiAccess plain(URI server) {
        if (!"http".equals(server.getScheme()) && !"https".equals(server.getScheme())) {
            throw new IllegalArgumentException("not an http(s) address: " + server);
        }
        URI base = URI.create(server.toString().replaceAll("/+$", ""));
        HttpClient client = ApiConnection.clientBuilder().build();
        return new ApiAccess() {
            @Override
            public URI server() {
                return base;
            }

            @Override
            public HttpClient http() {
                return client;
            }

            @Override
            public Optional<String> authorization() {
                return Optional.empty();
            }
        };
    }
}
