package io.tributary.app;

import io.tributary.config.BrokerConfig;
import io.tributary.config.BrokerConfigLoader;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;

import java.time.Clock;

/** Maps the broker's MicroProfile Config properties once, and provides the clock. */
@ApplicationScoped
public class BrokerConfigProducer {

    // Singleton, not ApplicationScoped: a record is final and cannot sit behind a client proxy.
    @Produces
    @Singleton
    BrokerConfig brokerConfig(Config config) {
        return new BrokerConfigLoader(name -> config.getOptionalValue(name, String.class)).load();
    }

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }
}
