package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonStructure;
import jakarta.json.JsonValue;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small JSON-over-HTTP client for integration tests (the JDK's HttpClient plus JSON-P). */
public final class Http {

    /** An answer: status, raw body, and the body parsed as JSON when it is JSON. */
    public record Answer(int status, String body, String contentType) {
        public JsonObject json() {
            return (JsonObject) parse();
        }

        public JsonArray array() {
            return (JsonArray) parse();
        }

        public JsonValue parse() {
            try (var reader = Json.createReader(new StringReader(body))) {
                return reader.readValue();
            }
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final LibertyServer server;

    public Http(LibertyServer server) {
        this.server = server;
    }

    /** The id of the cluster the server belongs to, as the v3 API reports it. */
    public String clusterId() {
        return get("/v3/clusters").json().getJsonArray("data").getJsonObject(0).getString("cluster_id");
    }

    public Answer get(String path) {
        return send(HttpRequest.newBuilder(server.uri(path)).GET());
    }

    public Answer get(String path, String accept) {
        return send(HttpRequest.newBuilder(server.uri(path)).header("Accept", accept).GET());
    }

    public Answer post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(server.uri(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Answer post(String path, JsonStructure body) {
        return post(path, "application/json", body.toString());
    }

    public Answer delete(String path) {
        return send(HttpRequest.newBuilder(server.uri(path)).DELETE());
    }

    public Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = client.send(request.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
        } catch (IOException e) {
            throw new IllegalStateException("HTTP request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpClient client() {
        return client;
    }

    public URI uri(String path) {
        return server.uri(path);
    }
}
