package io.tributary.api.rest;

import io.tributary.broker.consumer.ConsumerException;
import io.tributary.broker.consumer.ConsumerInstance;
import io.tributary.broker.consumer.ConsumerInstances;
import io.tributary.records.ConsumedRecord;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.GenericEntity;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The v2 consumer API of Confluent's REST Proxy: consumer instances that subscribe (as members of a
 * consumer group) or are assigned partitions, read records with long polling, commit and seek.
 * The state lives in {@link io.tributary.broker.consumer.ConsumerInstances}; this class only
 * translates HTTP. Reads, deletes and unsubscribes answer asynchronously, so a waiting read holds
 * no thread.
 */
@Path("/consumers")
@Produces({TopicsResource.V2, MediaType.APPLICATION_JSON, TopicsResource.JSON_V2, TopicsResource.BINARY_V2})
@RequestScoped
public class ConsumersResource {

    private static final String BODY_TYPES_V2 = TopicsResource.V2;

    private final RestConsumerInstances consumers;

    @Context
    UriInfo uriInfo;

    @Context
    HttpServletRequest request;

    /** For the container's client proxy only. */
    protected ConsumersResource() {
        this(null);
    }

    @Inject
    public ConsumersResource(RestConsumerInstances consumers) {
        this.consumers = consumers;
    }

    private ConsumerInstances instances() {
        return consumers.instances();
    }

    private ConsumerInstance instance(String group, String name) {
        return instances().get(group, name);
    }

    @POST
    @Path("{group}")
    @Consumes({BODY_TYPES_V2, MediaType.APPLICATION_JSON})
    public ConsumerDtos.CreatedInstance create(@PathParam("group") String group, byte[] body) {
        ConsumerInstance.Config config = ConsumerRequests.create(body, consumers.config().requestTimeoutMs());
        String host = request == null ? "" : "/" + request.getRemoteAddr();
        ConsumerInstance instance = instances().create(group, config, host);
        String baseUri = uriInfo.getBaseUriBuilder().path("consumers").path(group).path("instances")
                .path(instance.name()).build().toString();
        return new ConsumerDtos.CreatedInstance(instance.name(), baseUri);
    }

    @DELETE
    @Path("{group}/instances/{name}")
    public void delete(@PathParam("group") String group, @PathParam("name") String name,
                       @Suspended AsyncResponse async) {
        answer(async, () -> instances().delete(group, name), done -> Response.noContent().build());
    }

    // ---------------------------------------------------------------- subscription and assignment

    @POST
    @Path("{group}/instances/{name}/subscription")
    @Consumes({BODY_TYPES_V2, MediaType.APPLICATION_JSON})
    public Response subscribe(@PathParam("group") String group, @PathParam("name") String name, byte[] body) {
        ConsumerInstance instance = instance(group, name);
        instance.subscribe(ConsumerRequests.subscription(body));
        return Response.noContent().build();
    }

    @GET
    @Path("{group}/instances/{name}/subscription")
    public ConsumerDtos.Topics subscription(@PathParam("group") String group, @PathParam("name") String name) {
        return new ConsumerDtos.Topics(instance(group, name).subscription());
    }

    @DELETE
    @Path("{group}/instances/{name}/subscription")
    public void unsubscribe(@PathParam("group") String group, @PathParam("name") String name,
                            @Suspended AsyncResponse async) {
        answer(async, () -> instance(group, name).unsubscribe(), done -> Response.noContent().build());
    }

    @POST
    @Path("{group}/instances/{name}/assignments")
    @Consumes({BODY_TYPES_V2, MediaType.APPLICATION_JSON})
    public Response assign(@PathParam("group") String group, @PathParam("name") String name, byte[] body) {
        ConsumerInstance instance = instance(group, name);
        if (body == null || body.length == 0) {
            throw RestException.unprocessable("The body must be {\"partitions\": [{\"topic\", \"partition\"}]}");
        }
        instance.assign(ConsumerRequests.partitions(body));
        return Response.noContent().build();
    }

    @GET
    @Path("{group}/instances/{name}/assignments")
    public ConsumerDtos.Partitions assignment(@PathParam("group") String group, @PathParam("name") String name) {
        List<ConsumerDtos.PartitionRef> out = new ArrayList<>();
        for (TopicPartition tp : instance(group, name).assignment()) {
            out.add(new ConsumerDtos.PartitionRef(tp.topic(), tp.partition()));
        }
        return new ConsumerDtos.Partitions(out);
    }

    // ---------------------------------------------------------------- records

    /**
     * Records of the instance's partitions from its positions. {@code timeout} (ms) bounds the wait when
     * there are none; {@code max_bytes} bounds the answer. The Accept header must allow the instance's
     * format ({@code application/vnd.kafka.json.v2+json} or {@code application/vnd.kafka.binary.v2+json}).
     */
    @GET
    @Path("{group}/instances/{name}/records")
    @Produces(MediaType.WILDCARD)
    public void records(@PathParam("group") String group, @PathParam("name") String name,
                        @QueryParam("timeout") Long timeout, @QueryParam("max_bytes") Long maxBytes,
                        @HeaderParam("Accept") String accept, @Suspended AsyncResponse async) {
        try {
            ConsumerInstance instance = instance(group, name);
            String type = recordsType(instance.config().format());
            checkAccept(accept, type, instance.config().format());
            if (timeout != null && (timeout < 0 || timeout > 3_600_000L)) {
                throw RestException.unprocessable("Query parameter 'timeout' must be from 0 to 3600000 ms");
            }
            if (maxBytes != null && maxBytes < 1) {
                throw RestException.unprocessable("Query parameter 'max_bytes' must be at least 1");
            }
            long waitMs = timeout != null ? timeout : instance.config().requestTimeoutMs();
            int limit = (int) Math.min(maxBytes != null ? maxBytes : Long.MAX_VALUE, consumers.config().requestMaxBytes());
            EmbeddedFormat format = instance.config().format() == ConsumerInstance.Format.JSON
                    ? EmbeddedFormat.JSON : EmbeddedFormat.BINARY;
            answer(async, () -> instance.poll(waitMs, limit),
                    fetched -> Response.ok(new GenericEntity<>(encode(fetched, format)) {
                    }, type).build());
        } catch (RuntimeException e) {
            async.resume(e);
        }
    }

    private static String recordsType(ConsumerInstance.Format format) {
        return format == ConsumerInstance.Format.JSON ? TopicsResource.JSON_V2 : TopicsResource.BINARY_V2;
    }

    /** The Accept header must allow the instance's embedded format; general JSON types and wildcards do. */
    private static void checkAccept(String accept, String own, ConsumerInstance.Format format) {
        if (accept == null || accept.isBlank()) {
            return;
        }
        for (String range : accept.split(",")) {
            String type = range.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            if (type.equals(own) || type.equals("*/*") || type.equals("application/*")
                    || type.equals(MediaType.APPLICATION_JSON) || type.equals(TopicsResource.V2)) {
                return;
            }
        }
        throw new ConsumerException(ConsumerException.Reason.FORMAT_MISMATCH, "The requested embedded data format does"
                + " not match the deserializer for this consumer instance: it was created with format "
                + format.name().toLowerCase(Locale.ROOT) + ", so read it with Accept: " + own + " (got " + accept + ")");
    }

    private static List<V2Dtos.Record> encode(List<ConsumerInstance.Fetched> fetched, EmbeddedFormat format) {
        List<V2Dtos.Record> out = new ArrayList<>(fetched.size());
        for (ConsumerInstance.Fetched f : fetched) {
            ConsumedRecord r = f.record();
            EmbeddedFormat.Encoded key = format.encode(r.key());
            EmbeddedFormat.Encoded value = format.encode(r.value());
            List<V2Dtos.Header> headers = new ArrayList<>(r.headers().length);
            for (Header h : r.headers()) {
                headers.add(new V2Dtos.Header(h.key(),
                        h.value() == null ? null : Base64.getEncoder().encodeToString(h.value())));
            }
            out.add(new V2Dtos.Record(f.partition().topic(), f.partition().partition(), r.offset(), r.timestamp(),
                    r.timestampType().name, key.value(), key.format(), value.value(), value.format(), headers));
        }
        return out;
    }

    // ---------------------------------------------------------------- offsets and positions

    /** Commits the offsets given, or every position the instance reached when the body names none. */
    @POST
    @Path("{group}/instances/{name}/offsets")
    public Response commit(@PathParam("group") String group, @PathParam("name") String name, byte[] body) {
        ConsumerInstance instance = instance(group, name);
        instance.commit(ConsumerRequests.offsets(body, true));
        return Response.ok().build();
    }

    /** The committed offsets of the partitions in the body (of the instance's partitions when it names none). */
    @GET
    @Path("{group}/instances/{name}/offsets")
    public ConsumerDtos.Offsets committed(@PathParam("group") String group, @PathParam("name") String name,
                                          byte[] body) {
        ConsumerInstance instance = instance(group, name);
        List<ConsumerDtos.Offset> out = new ArrayList<>();
        instance.committed(ConsumerRequests.partitions(body)).forEach((tp, c) ->
                out.add(new ConsumerDtos.Offset(tp.topic(), tp.partition(), c.offset(), c.metadata())));
        return new ConsumerDtos.Offsets(out);
    }

    @POST
    @Path("{group}/instances/{name}/positions")
    @Consumes({BODY_TYPES_V2, MediaType.APPLICATION_JSON})
    public Response seek(@PathParam("group") String group, @PathParam("name") String name, byte[] body) {
        ConsumerInstance instance = instance(group, name);
        Map<TopicPartition, Long> offsets = ConsumerRequests.offsets(body, false);
        if (offsets.isEmpty()) {
            throw RestException.unprocessable("The body must be {\"offsets\": [{\"topic\", \"partition\", \"offset\"}]}");
        }
        instance.seek(offsets);
        return Response.noContent().build();
    }

    @POST
    @Path("{group}/instances/{name}/positions/beginning")
    public Response seekToBeginning(@PathParam("group") String group, @PathParam("name") String name, byte[] body) {
        instance(group, name).seekToBeginning(ConsumerRequests.partitions(body));
        return Response.noContent().build();
    }

    @POST
    @Path("{group}/instances/{name}/positions/end")
    public Response seekToEnd(@PathParam("group") String group, @PathParam("name") String name, byte[] body) {
        instance(group, name).seekToEnd(ConsumerRequests.partitions(body));
        return Response.noContent().build();
    }

    // ---------------------------------------------------------------- helpers

    private interface Call<T> {
        CompletionStage<T> start();
    }

    private interface Answer<T> {
        Response of(T value);
    }

    /** Resumes {@code async} with the answer once the call completes, or with its failure (mapped as usual). */
    private static <T> void answer(AsyncResponse async, Call<T> call, Answer<T> answer) {
        CompletionStage<T> stage;
        try {
            stage = call.start();
        } catch (RuntimeException e) {
            async.resume(e);
            return;
        }
        stage.whenComplete((value, failure) -> {
            if (failure != null) {
                async.resume(failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure);
                return;
            }
            try {
                async.resume(answer.of(value));
            } catch (RuntimeException e) {
                async.resume(e);
            }
        });
    }
}
