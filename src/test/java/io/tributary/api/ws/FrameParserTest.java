package io.tributary.api.ws;

import io.tributary.api.rest.EmbeddedFormat;
import io.tributary.broker.subscription.Framing;
import io.tributary.broker.subscription.GroupSubscription;
import io.tributary.broker.subscription.StartPosition;
import io.tributary.config.InvalidBrokerConfigException;
import io.tributary.config.WebSocketConfig;
import io.tributary.group.ManagedMember;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Client frames parse into their records; every bad frame names what is wrong and gets its error code. */
class FrameParserTest {

    @Test
    void aSubscribeFrameParsesEveryStartPosition() {
        ClientFrame.Subscribe s = (ClientFrame.Subscribe) FrameParser.parse("{\"type\":\"subscribe\",\"id\":\"s1\","
                + "\"topics\":[\"plain\",{\"topic\":\"a\",\"partitions\":[1],\"from\":\"earliest\"},"
                + "{\"topic\":\"b\",\"from\":{\"offsets\":{\"0\":42,\"2\":7}}},{\"topic\":\"c\",\"from\":{\"timestamp\":5}}],"
                + "\"format\":\"binary\",\"batch\":true}");
        assertEquals("s1", s.id());
        assertEquals(EmbeddedFormat.BINARY, s.format());
        assertEquals(Framing.BATCH, s.framing());
        assertEquals(new StartPosition.Latest(), s.topics().get(0).from());
        assertEquals(Optional.empty(), s.topics().get(0).partitions());
        assertEquals(Optional.of(List.of(1)), s.topics().get(1).partitions());
        assertEquals(new StartPosition.Earliest(), s.topics().get(1).from());
        assertEquals(Map.of(0, 42L, 2, 7L), s.topics().get(2).offsets());
        assertEquals(Optional.of(List.of(0, 2)), s.topics().get(2).partitions());
        assertEquals(new StartPosition.AtTimestamp(5), s.topics().get(3).from());
    }

    @Test
    void creditAndProduceFramesParse() {
        assertEquals(new ClientFrame.Credit(10, 0), FrameParser.parse("{\"type\":\"credit\",\"records\":10}"));
        ClientFrame.Produce p = (ClientFrame.Produce) FrameParser.parse("{\"type\":\"produce\",\"id\":\"p\",\"topic\":\"t\","
                + "\"records\":[{\"value\":{\"type\":\"STRING\",\"data\":\"v\"},\"partition_id\":1}]}");
        assertEquals(1, p.records().get(0).partition());
        assertEquals(1, p.records().get(0).record().value().remaining());
    }

    @Test
    void groupSubscribeCommitAndLeaveFramesParseWithTheirDefaults() {
        ClientFrame.GroupSubscribe g = (ClientFrame.GroupSubscribe) FrameParser.parse("{\"type\":\"subscribe\","
                + "\"id\":\"g1\",\"group\":\"billing\",\"topics\":[\"orders\"]}");
        assertEquals("billing", g.group());
        assertEquals(List.of("orders"), g.topics());
        assertEquals(ManagedMember.Assignor.RANGE, g.assignor());
        assertTrue(g.autoCommit());
        assertEquals(GroupSubscription.OffsetReset.LATEST, g.autoOffsetReset());
        assertEquals(FrameParser.DEFAULT_SESSION_TIMEOUT_MS, g.sessionTimeoutMs());
        assertEquals(FrameParser.DEFAULT_AUTO_COMMIT_INTERVAL_MS, g.autoCommitIntervalMs());
        ClientFrame.GroupSubscribe p = (ClientFrame.GroupSubscribe) FrameParser.parse("{\"type\":\"subscribe\","
                + "\"group\":\"b\",\"topic_pattern\":\"ord.*\",\"assignor\":\"RoundRobin\",\"auto_commit\":false,"
                + "\"auto.offset.reset\":\"none\",\"session_timeout_ms\":6000,\"auto_commit_interval_ms\":100,\"batch\":true}");
        assertTrue(p.pattern().matcher("orders").matches());
        assertEquals(ManagedMember.Assignor.ROUNDROBIN, p.assignor());
        assertEquals(GroupSubscription.OffsetReset.NONE, p.autoOffsetReset());
        assertEquals(6000, p.sessionTimeoutMs());
        assertEquals(Framing.BATCH, p.framing());

        assertEquals(new ClientFrame.Commit("c", Optional.empty()), FrameParser.parse("{\"type\":\"commit\",\"id\":\"c\"}"));
        ClientFrame.Commit c = (ClientFrame.Commit) FrameParser.parse("{\"type\":\"commit\",\"offsets\":"
                + "[{\"topic\":\"orders\",\"partition\":1,\"offset\":43}]}");
        assertEquals(Optional.of(Map.of(new TopicPartition("orders", 1), 43L)), c.offsets());
        assertEquals(new ClientFrame.Leave("l"), FrameParser.parse("{\"type\":\"leave\",\"id\":\"l\"}"));
    }

    @Test
    void badGroupFramesAreMalformed() {
        String base = "{\"type\":\"subscribe\",\"group\":\"g\",";
        assertEquals(WsError.MALFORMED_FRAME, errorOf(base + "\"topics\":[\"a\"],\"assignor\":\"sticky\"}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf(base + "\"topics\":[{\"topic\":\"a\"}]}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf(base + "\"topics\":[\"a\"],\"topic_pattern\":\"a\"}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf(base + "\"topic_pattern\":\"(\"}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf(base + "\"topics\":[]}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf(base + "\"topics\":[\"a\"],\"auto.offset.reset\":\"soon\"}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf(base + "\"topics\":[\"a\"],\"session_timeout_ms\":0}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"subscribe\",\"group\":\"\",\"topics\":[\"a\"]}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"subscribe\",\"topics\":[\"a\"],\"auto_commit\":true}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"commit\",\"offsets\":[]}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"commit\",\"offsets\":[{\"topic\":\"a\",\"partition\":0,\"offset\":-1}]}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"commit\",\"offsets\":[{\"topic\":\"a\",\"offset\":1}]}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"commit\",\"offsets\":[{\"topic\":\"a\",\"partition\":0,\"offset\":1},"
                + "{\"topic\":\"a\",\"partition\":0,\"offset\":2}]}"));
    }

    private static WsError errorOf(String frame) {
        WsException e = assertThrows(WsException.class, () -> FrameParser.parse(frame));
        assertTrue(!e.getMessage().isEmpty());
        return e.error();
    }

    @Test
    void badFramesGetTheirErrorCodes() {
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("[1]"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"id\":\"x\"}"));
        assertEquals(WsError.UNSUPPORTED_FRAME, errorOf("{\"type\":\"dance\"}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"subscribe\",\"topics\":[]}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"subscribe\",\"topics\":[{\"topic\":\"a\",\"from\":\"soon\"}]}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"subscribe\",\"topics\":[{\"topic\":\"a\",\"partitions\":[-1]}]}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf(
                "{\"type\":\"subscribe\",\"topics\":[{\"topic\":\"a\",\"partitions\":[0,1],\"from\":{\"offsets\":{\"0\":1}}}]}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"subscribe\",\"topics\":[\"a\"],\"format\":\"xml\"}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"credit\"}"));
        assertEquals(WsError.MALFORMED_FRAME, errorOf("{\"type\":\"credit\",\"records\":-1}"));
        assertEquals(WsError.CREDIT_OVERFLOW, errorOf("{\"type\":\"credit\",\"records\":99999999999999999999}"));
        assertEquals(WsError.INVALID_RECORD, errorOf("{\"type\":\"produce\",\"topic\":\"t\",\"records\":[{\"value\":{\"type\":\"BINARY\",\"data\":\"**\"}}]}"));
    }

    @Test
    void configHasDefaultsAndRejectsBadValues() {
        WebSocketConfig c = WebSocketConfig.load(name -> Optional.empty());
        assertEquals(1_000, c.defaultCreditRecords());
        assertEquals(1_000_000, c.maxCreditRecords());
        assertEquals(1 << 20, c.sessionBufferBytes());
        assertEquals(30_000, c.sendTimeoutMs());
        InvalidBrokerConfigException e = assertThrows(InvalidBrokerConfigException.class,
                () -> WebSocketConfig.load(name -> name.equals("ws.credit.default.records") ? Optional.of("5000000") : Optional.empty()));
        assertEquals("ws.credit.default.records", e.property());
    }
}
