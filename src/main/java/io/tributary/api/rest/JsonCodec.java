package io.tributary.api.rest;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbConfig;
import jakarta.json.bind.config.PropertyNamingStrategy;

/**
 * The one JSON-B instance of the APIs: records become snake_case JSON objects as in Confluent's
 * REST Proxy ({@code topicName} → {@code topic_name}), nulls included where a field is null.
 * Jsonb instances are thread-safe and costly to build, so there is one, closed with the app.
 */
@ApplicationScoped
public class JsonCodec {

    private final Jsonb jsonb = JsonbBuilder.create(new JsonbConfig()
            .withPropertyNamingStrategy(PropertyNamingStrategy.LOWER_CASE_WITH_UNDERSCORES)
            .withNullValues(true));

    public Jsonb jsonb() {
        return jsonb;
    }

    public String toJson(Object value) {
        return jsonb.toJson(value);
    }

    @PreDestroy
    void close() {
        try {
            jsonb.close();
        } catch (Exception e) {
            // Nothing is left to flush; closing only releases caches.
        }
    }
}
