package io.tributary.api.rest;

import io.tributary.app.Broker;
import io.tributary.broker.Partition;
import io.tributary.broker.RecordService;
import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.broker.RecordService.ProduceResult;
import io.tributary.broker.TopicService;
import io.tributary.metadata.TopicMetadata;
import io.tributary.metadata.Topics;
import io.tributary.records.ConsumedRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The v2 API: batched produce ({@code {"records": [...]}} answered with {@code {"offsets": [...]}}),
 * reading by offset, and partition offsets, shaped like Confluent's REST Proxy v2.
 */
@Path("/topics")
@Produces({MediaType.APPLICATION_JSON, TopicsResource.V2, TopicsResource.JSON_V2, TopicsResource.BINARY_V2})
@ApplicationScoped
public class TopicsResource {

    static final String V2 = "application/vnd.kafka.v2+json";
    static final String JSON_V2 = "application/vnd.kafka.json.v2+json";
    static final String BINARY_V2 = "application/vnd.kafka.binary.v2+json";

    /** Largest read answer; one batch larger than this still comes back whole. */
    private static final int MAX_READ_BYTES = 64 << 20;

    private final Broker broker;

    /** For the container's client proxy only. */
    protected TopicsResource() {
        this(null);
    }

    @Inject
    public TopicsResource(Broker broker) {
        this.broker = broker;
    }

    @GET
    public List<String> list() {
        List<String> names = new ArrayList<>();
        for (TopicMetadata t : broker.topics().list()) {
            names.add(t.name());
        }
        return names;
    }

    @GET
    @Path("{topic}")
    public V2Dtos.Topic topic(@PathParam("topic") String topic) {
        TopicMetadata t = broker.topics().describeOrThrow(topic);
        Map<String, String> configs = new LinkedHashMap<>();
        for (TopicService.ConfigEntry e : broker.topics().configs(topic)) {
            configs.put(e.name(), e.value());
        }
        List<V2Dtos.Partition> partitions = new ArrayList<>();
        for (int p : t.assignment().keySet()) {
            partitions.add(partitionDto(t, p));
        }
        return new V2Dtos.Topic(topic, configs, partitions);
    }

    @GET
    @Path("{topic}/partitions")
    public List<V2Dtos.Partition> partitions(@PathParam("topic") String topic) {
        TopicMetadata t = broker.topics().describeOrThrow(topic);
        List<V2Dtos.Partition> partitions = new ArrayList<>();
        for (int p : t.assignment().keySet()) {
            partitions.add(partitionDto(t, p));
        }
        return partitions;
    }

    @GET
    @Path("{topic}/partitions/{partition}")
    public V2Dtos.Partition partition(@PathParam("topic") String topic, @PathParam("partition") int partition) {
        TopicMetadata t = broker.topics().describeOrThrow(topic);
        if (!t.assignment().containsKey(partition)) {
            throw new io.tributary.broker.UnknownPartitionException(topic, partition, t.partitionCount());
        }
        return partitionDto(t, partition);
    }

    /** Produces a batch; records without a partition are placed by key, or spread when they have none. */
    @POST
    @Path("{topic}")
    @Consumes({JSON_V2, BINARY_V2, MediaType.APPLICATION_JSON, V2})
    public byte[] produce(@PathParam("topic") String topic, @HeaderParam("Content-Type") String contentType,
                          @HeaderParam("Content-Length") @DefaultValue("-1") long contentLength, InputStream body) {
        return produce(topic, -1, contentType, JsonBodies.read(body, contentLength));
    }

    @POST
    @Path("{topic}/partitions/{partition}")
    @Consumes({JSON_V2, BINARY_V2, MediaType.APPLICATION_JSON, V2})
    public byte[] produceToPartition(@PathParam("topic") String topic, @PathParam("partition") int partition,
                                     @HeaderParam("Content-Type") String contentType,
                                     @HeaderParam("Content-Length") @DefaultValue("-1") long contentLength,
                                     InputStream body) {
        if (partition < 0) {
            throw new io.tributary.broker.UnknownPartitionException("Partition " + partition + " does not exist.");
        }
        return produce(topic, partition, contentType, JsonBodies.read(body, contentLength));
    }

    /**
     * The answer is JSON text in UTF-8, written as {@link V2Dtos.ProduceResponse} would be (see
     * {@link V2ProduceAnswer}). The body is taken as a stream and read in one piece of its declared
     * length: as {@code byte[]}, JAX-RS copied it through a growing buffer in 4 KiB reads.
     */
    private byte[] produce(String topic, int pathPartition, String contentType, byte[] body) {
        Topics.validateName(topic);
        EmbeddedFormat format = contentType != null && contentType.startsWith(BINARY_V2)
                ? EmbeddedFormat.BINARY : EmbeddedFormat.JSON;
        List<ProduceRequest> requests = V2RecordParser.parse(body, pathPartition, format);
        List<ProduceResult> results = broker.records().produce(topic, requests);
        return V2ProduceAnswer.write(results);
    }

    /**
     * Reads committed records from {@code offset}. {@code format} chooses how keys and values are
     * encoded: {@code json} (default), {@code string} or {@code binary} (base64); an
     * {@code Accept: application/vnd.kafka.binary.v2+json} header means binary.
     */
    @GET
    @Path("{topic}/partitions/{partition}/records")
    public List<V2Dtos.Record> records(@PathParam("topic") String topic, @PathParam("partition") int partition,
                                       @QueryParam("offset") Long offset,
                                       @QueryParam("max_bytes") @DefaultValue("1048576") int maxBytes,
                                       @QueryParam("count") @DefaultValue("2147483647") int count,
                                       @QueryParam("format") String formatName,
                                       @HeaderParam("Accept") String accept) {
        if (offset == null) {
            throw RestException.unprocessable("Query parameter 'offset' is required");
        }
        if (offset < 0) {
            throw RestException.unprocessable("Query parameter 'offset' must not be negative");
        }
        if (maxBytes < 1 || maxBytes > MAX_READ_BYTES) {
            throw RestException.unprocessable("Query parameter 'max_bytes' must be from 1 to " + MAX_READ_BYTES);
        }
        if (count < 1) {
            throw RestException.unprocessable("Query parameter 'count' must be at least 1");
        }
        EmbeddedFormat format = formatName != null ? EmbeddedFormat.parse(formatName, "format")
                : accept != null && accept.contains(BINARY_V2) ? EmbeddedFormat.BINARY : EmbeddedFormat.JSON;
        RecordService.ReadResult read = broker.records().read(topic, partition, offset, maxBytes, count);
        List<V2Dtos.Record> out = new ArrayList<>(read.records().size());
        for (ConsumedRecord r : read.records()) {
            EmbeddedFormat.Encoded key = format.encode(r.key());
            EmbeddedFormat.Encoded value = format.encode(r.value());
            List<V2Dtos.Header> headers = new ArrayList<>(r.headers().length);
            for (Header h : r.headers()) {
                headers.add(new V2Dtos.Header(h.key(),
                        h.value() == null ? null : Base64.getEncoder().encodeToString(h.value())));
            }
            out.add(new V2Dtos.Record(topic, partition, r.offset(), r.timestamp(), r.timestampType().name,
                    key.value(), key.format(), value.value(), value.format(), headers));
        }
        return out;
    }

    @GET
    @Path("{topic}/partitions/{partition}/offsets")
    public V2Dtos.PartitionOffsets offsets(@PathParam("topic") String topic, @PathParam("partition") int partition) {
        RecordService.PartitionOffsets o = broker.records().offsets(topic, partition);
        return new V2Dtos.PartitionOffsets(o.logStartOffset(), o.highWatermark(), o.logEndOffset());
    }

    /**
     * Deletes every record before offset {@code before} (at most the end offset): they can no longer be
     * read, and whole segments before it are removed from disk. Answers the partition's offsets.
     */
    @DELETE
    @Path("{topic}/partitions/{partition}/records")
    public V2Dtos.PartitionOffsets deleteRecords(@PathParam("topic") String topic, @PathParam("partition") int partition,
                                                @QueryParam("before") Long before) {
        if (before == null) {
            throw RestException.unprocessable("Query parameter 'before' is required");
        }
        RecordService.PartitionOffsets o = broker.records().deleteRecordsBefore(topic, partition, before);
        return new V2Dtos.PartitionOffsets(o.logStartOffset(), o.highWatermark(), o.logEndOffset());
    }

    private V2Dtos.Partition partitionDto(TopicMetadata t, int p) {
        TopicPartition tp = new TopicPartition(t.name(), p);
        Optional<Partition> local = broker.replicas().partition(tp);
        List<Integer> replicas = t.assignment().get(p);
        int leader = local.map(x -> x.state().leader())
                .orElseGet(() -> broker.metadata().partitionState(tp).map(s -> s.leader()).orElse(-1));
        List<Integer> isr = local.map(x -> x.state().isr())
                .orElseGet(() -> broker.metadata().partitionState(tp).map(s -> s.isr()).orElse(replicas));
        List<V2Dtos.Replica> out = new ArrayList<>();
        for (int r : replicas) {
            out.add(new V2Dtos.Replica(r, r == leader, isr.contains(r)));
        }
        return new V2Dtos.Partition(p, leader, out);
    }
}
