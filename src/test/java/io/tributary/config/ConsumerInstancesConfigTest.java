package io.tributary.config;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsumerInstancesConfigTest {

    private static ConsumerInstancesConfig load(Map<String, String> props) {
        return ConsumerInstancesConfig.load(name -> Optional.ofNullable(props.get(name)));
    }

    @Test
    void defaultsAreTheRestProxys() {
        assertEquals(new ConsumerInstancesConfig(300_000, 1_000, 64 << 20), load(Map.of()));
    }

    @Test
    void propertiesAreReadByTheirRestProxyNames() {
        assertEquals(new ConsumerInstancesConfig(5_000, 200, 1_024), load(Map.of("consumer.instance.timeout.ms", "5000",
                "consumer.request.timeout.ms", "200", "consumer.request.max.bytes", "1024")));
    }

    @Test
    void aBadValueNamesTheProperty() {
        InvalidBrokerConfigException e = assertThrows(InvalidBrokerConfigException.class,
                () -> load(Map.of("consumer.instance.timeout.ms", "soon")));
        assertTrue(e.getMessage().contains("consumer.instance.timeout.ms"), e.getMessage());
        assertThrows(InvalidBrokerConfigException.class, () -> load(Map.of("consumer.request.max.bytes", "0")));
    }
}
