package io.tributary.api.rest;

import jakarta.json.JsonValue;

import java.util.List;
import java.util.Map;

/** The v2 API's JSON shapes, as in Confluent's REST Proxy v2 (snake_case on the wire). */
public final class V2Dtos {

    private V2Dtos() {
    }

    public record Offset(Integer partition, Long offset, Integer errorCode, String error) {
    }

    public record ProduceResponse(Integer keySchemaId, Integer valueSchemaId, List<Offset> offsets) {
    }

    public record Replica(int broker, boolean leader, boolean inSync) {
    }

    public record Partition(int partition, int leader, List<Replica> replicas) {
    }

    public record Topic(String name, Map<String, String> configs, List<Partition> partitions) {
    }

    public record Header(String name, String value) {
    }

    /** A record read back; {@code key_format}/{@code value_format} say how each was encoded (json, string, binary). */
    public record Record(String topic, int partition, long offset, long timestamp, String timestampType,
                         JsonValue key, String keyFormat, JsonValue value, String valueFormat, List<Header> headers) {
    }

    public record PartitionOffsets(long beginningOffset, long endOffset, long logEndOffset) {
    }
}
