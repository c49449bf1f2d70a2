package io.tributary.app;

import io.tributary.config.BrokerConfig;
import io.tributary.config.BrokerConfigLoader;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.config.Config;

import java.time.Clock;

/** Maps the broker's MicroProfile Config properties once, and provides the clock. */
@ApplicationScoped
public class BrokerConfigProducer {

    @Produces
    @ApplicationScoped
    BrokerConfig brokerConfig(Config config) {
        return new BrokerConfigLoader(name -> config.getOptionalValue(name, String.class)).load();
    }

    @Produces
    @ApplicationScoped
    Clock clock() {
        return Clock.systemUTC();
    }
}
