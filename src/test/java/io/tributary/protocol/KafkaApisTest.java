package io.tributary.protocol;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dispatcher without a broker: advertising, version checks and the answers to what it cannot do. */
class KafkaApisTest {

    private final KafkaApis apis = new KafkaApis()
            .register(ApiKeys.METADATA, 0, 13, (ctx, req) -> ctx.respondNow(new org.apache.kafka.common.message.MetadataResponseData()));

    private static ByteBuffer frame(ApiKeys api, short version, ApiMessage data) throws IOException {
        return Sends.serialize(SendBuilder.buildRequestSend(new RequestHeader(api, version, "test", 42), data));
    }

    private RequestHandler.Response handle(ByteBuffer frame) {
        return apis.handle(new RequestHandler.Request("c1", InetAddress.getLoopbackAddress(), frame))
                .toCompletableFuture().join();
    }

    private static ByteBuffer bytes(RequestHandler.Response response) throws IOException {
        assertNotNull(response.send(), "expected an answer, got " + response);
        return Sends.serialize(response.send());
    }

    @Test
    void apiVersionsAdvertisesExactlyTheRegisteredApis() throws Exception {
        ByteBuffer answer = bytes(handle(frame(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("t").setClientSoftwareVersion("1"))));
        ApiVersionsResponse r = (ApiVersionsResponse) AbstractResponse.parseResponse(answer,
                new RequestHeader(ApiKeys.API_VERSIONS, (short) 3, "test", 42));
        assertEquals(Errors.NONE.code(), r.data().errorCode());
        assertEquals(2, r.data().apiKeys().size());
        assertEquals(13, r.data().apiKeys().find(ApiKeys.METADATA.id).maxVersion());
        assertNull(r.data().apiKeys().find(ApiKeys.PRODUCE.id));
    }

    @Test
    void aNewerApiVersionsRequestIsAnsweredAtVersionZeroWithTheSupportedList() throws Exception {
        ByteBuffer request = frame(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("t").setClientSoftwareVersion("1"));
        request.putShort(2, (short) 42);
        ByteBuffer answer = bytes(handle(request));
        assertEquals(42, answer.getInt());
        ApiVersionsResponseData v0 = new ApiVersionsResponseData(new ByteBufferAccessor(answer), (short) 0);
        assertEquals(Errors.UNSUPPORTED_VERSION.code(), v0.errorCode());
        assertNotNull(v0.apiKeys().find(ApiKeys.METADATA.id));
    }

    @Test
    void anUnregisteredApiGetsItsOwnErrorAnswerWithUnsupportedVersion() throws Exception {
        ByteBuffer answer = bytes(handle(frame(ApiKeys.FIND_COORDINATOR, (short) 4,
                new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(java.util.List.of("g")))));
        FindCoordinatorResponse r = (FindCoordinatorResponse) AbstractResponse.parseResponse(answer,
                new RequestHeader(ApiKeys.FIND_COORDINATOR, (short) 4, "test", 42));
        assertEquals(Errors.UNSUPPORTED_VERSION.code(), r.data().coordinators().get(0).errorCode());
    }

    @Test
    void unparseableFramesCloseTheConnection() throws Exception {
        ByteBuffer unknownKey = frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData());
        unknownKey.putShort(0, (short) 12_345);
        assertTrue(handle(unknownKey).close());

        ByteBuffer noSuchVersion = frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData());
        noSuchVersion.putShort(2, (short) 99);
        assertTrue(handle(noSuchVersion).close());

        ByteBuffer truncated = frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData()
                .setTopics(java.util.List.of(new MetadataRequestData.MetadataRequestTopic().setName("some-topic"))));
        assertTrue(handle(truncated.limit(truncated.limit() - 5)).close());

        assertTrue(handle(ByteBuffer.wrap(new byte[] {0, 3})).close(), "a header cut short");
    }
}
