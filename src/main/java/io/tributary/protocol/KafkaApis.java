package io.tributary.protocol;

import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The Kafka request dispatcher: parses the header and body of a frame with kafka-clients'
 * generated message classes, checks the API and version against what Tributary implements, and
 * hands the request to its handler.
 *
 * <p><b>What clients see:</b> ApiVersions lists exactly the registered handlers ({@link #register}). A request for an API
 * kafka-clients knows but Tributary does not implement (or at a version outside the advertised
 * range) is answered with the API's own error response carrying UNSUPPORTED_VERSION (also the
 * group APIs of KIP-848 and OffsetDelete, which the classic group coordinator does not serve). A frame that cannot be parsed at all (unknown
 * API key, truncated header or body) closes the connection, as Kafka does, since the client's
 * framing can no longer be trusted. An ApiVersions request at a version newer than supported is
 * answered at version 0 with UNSUPPORTED_VERSION and the supported list, so the client can retry
 * with a version both sides speak.
 *
 * <p>Thread-safe: stateless apart from the handlers, which are thread-safe.
 */
public final class KafkaApis implements RequestHandler {

    private static final System.Logger LOG = System.getLogger(KafkaApis.class.getName());


    /** Handles one parsed request of one API. */
    interface ApiHandler {
        CompletionStage<Response> handle(RequestContext context, AbstractRequest request);
    }

    /** The parsed header plus where the request came from. */
    record RequestContext(RequestHeader header, String connectionId, java.net.InetAddress clientAddress) {
        short version() {
            return header.apiVersion();
        }

        /** The answer as bytes ready for the socket; records in it are sent zero-copy. */
        Response respond(ApiMessage data) {
            return Response.send(SendBuilder.buildResponseSend(header.toResponseHeader(), data, header.apiVersion()));
        }

        CompletionStage<Response> respondNow(ApiMessage data) {
            return CompletableFuture.completedFuture(respond(data));
        }
    }

    private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
    /** The advertised APIs and version ranges: exactly the registered handlers. */
    private final Map<ApiKeys, short[]> supported = new EnumMap<>(ApiKeys.class);

    public KafkaApis() {
        register(ApiKeys.API_VERSIONS, 0, 3, (ctx, req) -> ctx.respondNow(apiVersions(Errors.NONE)));
    }

    /**
     * Registers the handler of an API and advertises {@code [minVersion, maxVersion]} for it. The
     * dispatcher is assembled once, before it serves; not to be called while serving.
     */
    public KafkaApis register(ApiKeys api, int minVersion, int maxVersion, ApiHandler handler) {
        if (minVersion < api.oldestVersion() || maxVersion > api.latestVersion()) {
            throw new IllegalArgumentException(api + " has versions " + api.oldestVersion() + ".." + api.latestVersion());
        }
        handlers.put(api, handler);
        supported.put(api, new short[] {(short) minVersion, (short) maxVersion});
        return this;
    }

    /** What ApiVersions advertises, API by API. */
    public Map<ApiKeys, short[]> supportedVersions() {
        return java.util.Collections.unmodifiableMap(supported);
    }

    ApiVersionsResponseData apiVersions(Errors error) {
        ApiVersionsResponseData data = new ApiVersionsResponseData().setErrorCode(error.code());
        supported.forEach((api, range) -> data.apiKeys().add(new ApiVersionsResponseData.ApiVersion()
                .setApiKey(api.id).setMinVersion(range[0]).setMaxVersion(range[1])));
        return data;
    }

    @Override
    public CompletionStage<Response> handle(Request request) {
        ByteBuffer frame = request.frame();
        RequestHeader header;
        try {
            header = RequestHeader.parse(frame);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Response.close("unparseable request header: " + e.getMessage()));
        }
        RequestContext context = new RequestContext(header, request.connectionId(), request.clientAddress());
        ApiKeys api = header.apiKey();
        short version = header.apiVersion();
        short[] range = supported.get(api);

        if (api == ApiKeys.API_VERSIONS && range != null && version > range[1]) {
            // KIP-511: answer in v0, which every client can read, with the versions we do speak.
            return CompletableFuture.completedFuture(Response.send(SendBuilder.buildResponseSend(
                    header.toResponseHeader(), apiVersions(Errors.UNSUPPORTED_VERSION), (short) 0)));
        }
        if (version < api.oldestVersion() || version > api.latestVersion(true)) {
            return CompletableFuture.completedFuture(Response.close(api + " v" + version + " does not exist"));
        }
        AbstractRequest body;
        try {
            body = AbstractRequest.parseRequest(api, version, new ByteBufferAccessor(frame)).request;
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Response.close("unparseable " + api + " v" + version
                    + " request: " + e.getMessage()));
        }
        ApiHandler handler = handlers.get(api);
        if (handler == null || range == null || version < range[0] || version > range[1]) {
            Throwable error = unsupported(api, version);
            return CompletableFuture.completedFuture(errorResponse(context, body, error));
        }
        try {
            return handler.handle(context, body).exceptionally(e -> errorResponse(context, body, unwrap(e)));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(errorResponse(context, body, e));
        }
    }

    private static Throwable unsupported(ApiKeys api, short version) {
        return new UnsupportedVersionException("Tributary does not implement " + api + " v" + version);
    }

    /** The API's own error answer: every partition, topic or resource carries the error. */
    private static Response errorResponse(RequestContext context, AbstractRequest body, Throwable error) {
        if (!(error instanceof org.apache.kafka.common.errors.ApiException) || error.getStackTrace().length > 0
                && error.getStackTrace()[0].getClassName().startsWith("org.apache.kafka.common.message")) {
            // Not a client's mistake: a failure here, or an answer the request's version cannot carry.
            LOG.log(Level.WARNING, "Error handling " + context.header().apiKey() + " from " + context.clientAddress(), error);
        }
        try {
            AbstractResponse response = body.getErrorResponse(error);
            if (response == null) {
                return Response.NONE;
            }
            return Response.send(response.toSend(context.header().toResponseHeader(), context.version()));
        } catch (RuntimeException e) {
            return Response.close("no error response for " + context.header().apiKey() + ": " + e.getMessage());
        }
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static InvalidRequestException invalid(String message) {
        return new InvalidRequestException(message);
    }
}
