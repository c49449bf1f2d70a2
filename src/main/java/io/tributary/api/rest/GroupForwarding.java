package io.tributary.api.rest;

import io.tributary.app.Broker;
import io.tributary.app.BrokerExecutors;
import io.tributary.metadata.BrokerInfo;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.apache.kafka.common.protocol.Errors;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sends requests about one consumer group to the broker that coordinates it, over HTTP to the
 * address that broker registered: the v2 consumer instances ({@code /consumers/{group}/...}), whose
 * group members live in the coordinator's memory, and the v3 view of one group
 * ({@code /v3/clusters/{cluster}/consumer-groups/{group}/...}). The coordinator's answer (status,
 * content type, body) is the answer, so a client may talk to any broker; the {@code base_uri} of a
 * new instance names the coordinator, where later requests need no hop.
 *
 * <p>No loops: a forwarded request carries {@value #FORWARDED_BY} and is never forwarded again; a
 * broker that receives one while it is not (or no longer) the coordinator answers 503 and the
 * forwarding broker looks again. While a group has no coordinator (the offsets topic was just
 * created, or its leader died and no replica has taken over), the request waits up to
 * {@link #LOCATE_TIMEOUT}; a group still without one, or a coordinator that cannot be reached
 * after {@link #ATTEMPTS} tries, is answered 503, which clients may retry.
 *
 * <p>Thread-safe: one HTTP client, on the broker's managed executor, serves every request; on Java 17
 * it has nothing to close (its idle connections go with it when the application stops).
 */
@ApplicationScoped
public class GroupForwarding {

    static final String FORWARDED_BY = "X-Tributary-Forwarded-By";
    private static final System.Logger LOG = System.getLogger(GroupForwarding.class.getName());
    private static final Pattern V2 = Pattern.compile("^/?consumers/([^/]+)(/.*)?$");
    private static final Pattern V3 = Pattern.compile("^/?v3/clusters/[^/]+/consumer-groups/([^/]+)(/.*)?$");
    private static final Duration LOCATE_TIMEOUT = Duration.ofSeconds(15);
    private static final int ATTEMPTS = 3;
    private static final Duration LIST_TIMEOUT = Duration.ofSeconds(10);
    /** Longer than any long-polling read a consumer instance may ask for. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);

    private final Broker broker;
    private final HttpClient http;

    /** For the container's client proxy only. */
    protected GroupForwarding() {
        this.broker = null;
        this.http = null;
    }

    @Inject
    public GroupForwarding(Broker broker, BrokerExecutors executors) {
        this.broker = broker;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).executor(executors.executor()).build();
    }

    /** Forwards the request (aborting it with the coordinator's answer) if another broker coordinates its group. */
    public void filter(ContainerRequestContext request) throws IOException {
        if (broker.state() != Broker.State.RUNNING) {
            return;
        }
        String rawPath = request.getUriInfo().getPath(false);
        Matcher m = V2.matcher(rawPath);
        if (!m.matches()) {
            m = V3.matcher(rawPath);
            if (!m.matches()) {
                return;
            }
        }
        String groupId = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
        int self = broker.config().brokerId();
        boolean forwarded = request.getHeaderString(FORWARDED_BY) != null;
        byte[] body = null;
        String problem = "the group has no coordinator";
        long deadline = System.nanoTime() + LOCATE_TIMEOUT.toNanos();
        int attempts = 0;
        while (true) {
            OptionalInt coordinator = broker.groupCoordinatorOf(groupId);
            if (coordinator.isPresent() && coordinator.getAsInt() == self) {
                Errors local = broker.groups().coordinatorError(groupId);
                if (local != Errors.COORDINATOR_LOAD_IN_PROGRESS && local != Errors.NOT_COORDINATOR
                        || System.nanoTime() > deadline) {
                    // Served here (the resource answers whatever is left, e.g. an invalid group id).
                    return;
                }
                // Elected a moment ago: the group's partition is being loaded (or the election is
                // published but not yet applied here). Wait for it rather than answer from an empty view.
                problem = "the coordinator is loading the group";
                sleepBriefly();
                continue;
            }
            if (forwarded && coordinator.isPresent()) {
                abort(request, rawPath, "Broker " + self + " does not coordinate group '" + groupId
                        + "' (broker " + coordinator.getAsInt() + " does); retry.");
                return;
            }
            if (coordinator.isPresent()) {
                Optional<String> base = broker.httpEndpointOf(coordinator.getAsInt());
                if (base.isPresent()) {
                    if (body == null) {
                        body = readBody(request);
                    }
                    attempts++;
                    try {
                        request.abortWith(forward(request, URI.create(base.get()), body));
                        return;
                    } catch (IOException e) {
                        problem = "coordinator broker " + coordinator.getAsInt() + " could not be reached: "
                                + e.getMessage();
                        LOG.log(Level.DEBUG, "Forwarding /{0} to broker {1} failed: {2}", rawPath,
                                coordinator.getAsInt(), e.getMessage());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        abort(request, rawPath, "Interrupted while forwarding to the group's coordinator.");
                        return;
                    }
                } else {
                    problem = "coordinator broker " + coordinator.getAsInt() + " registered no HTTP address";
                }
            }
            if (attempts >= ATTEMPTS || System.nanoTime() > deadline) {
                abort(request, rawPath, "Group '" + groupId + "' cannot be served now (" + problem + "); retry.");
                return;
            }
            sleepBriefly();
        }
    }

    private static void sleepBriefly() throws IOException {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("Interrupted while looking for the group's coordinator");
        }
    }

    private static byte[] readBody(ContainerRequestContext request) throws IOException {
        if (!request.hasEntity()) {
            return new byte[0];
        }
        try (InputStream in = request.getEntityStream()) {
            return in.readAllBytes();
        }
    }

    private Response forward(ContainerRequestContext request, URI base, byte[] body)
            throws IOException, InterruptedException {
        URI target = base.resolve("/" + stripSlash(request.getUriInfo().getPath(false))
                + (request.getUriInfo().getRequestUri().getRawQuery() == null ? ""
                : "?" + request.getUriInfo().getRequestUri().getRawQuery()));
        HttpRequest.Builder out = HttpRequest.newBuilder(target).timeout(REQUEST_TIMEOUT)
                .header(FORWARDED_BY, Integer.toString(broker.config().brokerId()))
                .method(request.getMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String name : new String[] {HttpHeaders.CONTENT_TYPE, HttpHeaders.ACCEPT}) {
            String value = request.getHeaderString(name);
            if (value != null) {
                out.header(name, value);
            }
        }
        HttpResponse<byte[]> answer = http.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
        Response.ResponseBuilder response = Response.status(answer.statusCode());
        answer.headers().firstValue(HttpHeaders.CONTENT_TYPE).ifPresent(t -> response.header(HttpHeaders.CONTENT_TYPE, t));
        answer.headers().firstValue(HttpHeaders.LOCATION).ifPresent(l -> response.header(HttpHeaders.LOCATION, l));
        if (answer.body().length > 0) {
            response.entity(answer.body());
        }
        return response.build();
    }

    /**
     * The groups every other live broker coordinates, each asked for its own v3 list with
     * {@value #FORWARDED_BY} (so it answers from its memory and asks nobody else). A request that
     * was itself forwarded gets nothing here. A live broker that does not answer 200 makes the
     * list incomplete, and that is answered 503 rather than a list silently missing groups.
     */
    public List<List<JsonObject>> groupsOfOtherBrokers(String clusterId, HttpHeaders incoming) {
        if (incoming.getHeaderString(FORWARDED_BY) != null) {
            return List.of();
        }
        int self = broker.config().brokerId();
        List<List<JsonObject>> out = new ArrayList<>();
        for (BrokerInfo other : broker.metadata().liveBrokers()) {
            if (other.id() == self) {
                continue;
            }
            String base = other.extra().get("http");
            if (base == null) {
                throw new RestException(503, "Broker " + other.id() + " registered no HTTP address, so its "
                        + "consumer groups cannot be listed; retry.");
            }
            URI target = URI.create(base).resolve("/v3/clusters/" + URLEncoder.encode(clusterId, StandardCharsets.UTF_8)
                    + "/consumer-groups");
            HttpRequest request = HttpRequest.newBuilder(target).timeout(LIST_TIMEOUT)
                    .header(FORWARDED_BY, Integer.toString(self)).header(HttpHeaders.ACCEPT, MediaType.APPLICATION_JSON)
                    .GET().build();
            String problem;
            try {
                HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 200) {
                    List<JsonObject> groups = new ArrayList<>();
                    try (JsonReader reader = Json.createReader(new StringReader(answer.body()))) {
                        for (JsonValue g : reader.readObject().getJsonArray("data")) {
                            groups.add(g.asJsonObject());
                        }
                    }
                    out.add(groups);
                    continue;
                }
                problem = "answered " + answer.statusCode();
            } catch (IOException | RuntimeException e) {
                problem = "could not be reached: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                problem = "was not waited for (interrupted)";
            }
            throw new RestException(503, "The consumer groups of broker " + other.id() + " cannot be listed: it "
                    + problem + "; retry.");
        }
        return out;
    }

    private static String stripSlash(String path) {
        return path.startsWith("/") ? path.substring(1) : path;
    }

    private static void abort(ContainerRequestContext request, String rawPath, String message) {
        boolean v2 = rawPath.startsWith("consumers") || rawPath.startsWith("/consumers");
        request.abortWith(Response.status(503).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorResponse(v2 ? 50300 : 503, message)).build());
    }
}
