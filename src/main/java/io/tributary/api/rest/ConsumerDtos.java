package io.tributary.api.rest;

import java.util.List;

/** The JSON shapes of the v2 consumer API, as in Confluent's REST Proxy v2 (snake_case on the wire). */
public final class ConsumerDtos {

    private ConsumerDtos() {
    }

    public record CreatedInstance(String instanceId, String baseUri) {
    }

    public record Topics(List<String> topics) {
    }

    public record PartitionRef(String topic, int partition) {
    }

    public record Partitions(List<PartitionRef> partitions) {
    }

    public record Offset(String topic, int partition, long offset, String metadata) {
    }

    public record Offsets(List<Offset> offsets) {
    }
}
