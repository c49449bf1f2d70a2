package io.tributary.protocol;

import org.apache.kafka.common.protocol.ApiKeys;

/**
 * Assembles the request dispatcher of a running broker: every API Tributary implements, with the
 * versions it advertises.
 *
 * <p>Stateless and thread-safe.
 */
public final class KafkaProtocol {

    private KafkaProtocol() {
    }

    public static KafkaApis apis(BrokerContext broker) {
        FetchApi fetch = new FetchApi(broker);
        return new KafkaApis()
                .register(ApiKeys.METADATA, 0, 13, new MetadataApi(broker))
                .register(ApiKeys.PRODUCE, 3, 13, new ProduceApi(broker))
                .register(ApiKeys.FETCH, 4, 18, fetch)
                .register(ApiKeys.LIST_OFFSETS, 1, 11, new ListOffsetsApi(broker));
    }
}
