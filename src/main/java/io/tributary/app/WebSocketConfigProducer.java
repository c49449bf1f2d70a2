package io.tributary.app;

import io.tributary.config.WebSocketConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;

/** Maps the WebSocket API's MicroProfile Config properties ({@code ws.*}) once. */
@ApplicationScoped
public class WebSocketConfigProducer {

    // Singleton, not ApplicationScoped: a record is final and cannot sit behind a client proxy.
    @Produces
    @Singleton
    WebSocketConfig webSocketConfig(Config config) {
        return WebSocketConfig.load(name -> config.getOptionalValue(name, String.class));
    }
}
