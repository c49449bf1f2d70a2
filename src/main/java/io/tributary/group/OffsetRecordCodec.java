package io.tributary.group;

import org.apache.kafka.common.TopicPartition;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The record format of committed offsets in {@code __consumer_offsets}. All integers big-endian;
 * a string is a 2-byte length and that many UTF-8 bytes.
 *
 * <pre>
 * key   = version:int16 (=100) group:string topic:string partition:int32
 * value = version:int16 (=100) offset:int64 leaderEpoch:int32 commitTimestamp:int64 metadata:string
 * </pre>
 *
 * A null value is a tombstone: the commit was deleted (its group was deleted). Key version 100
 * keeps these records apart from Kafka's own key versions 0-2, so a Kafka tool reading the topic
 * sees records it does not know rather than misreading them as its own. The key holds exactly what
 * identifies the commit, so compaction keeps only the latest commit per group and partition.
 *
 * <p>Stateless and thread-safe.
 */
public final class OffsetRecordCodec {

    static final short VERSION = 100;

    /** A decoded key. */
    public record Key(String groupId, TopicPartition partition) {
    }

    private OffsetRecordCodec() {
    }

    public static ByteBuffer key(String groupId, TopicPartition tp) {
        byte[] group = groupId.getBytes(StandardCharsets.UTF_8);
        byte[] topic = tp.topic().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(2 + 2 + group.length + 2 + topic.length + 4);
        b.putShort(VERSION);
        putString(b, group);
        putString(b, topic);
        b.putInt(tp.partition());
        return b.flip();
    }

    public static ByteBuffer value(CommittedOffset offset) {
        byte[] metadata = offset.metadata().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(2 + 8 + 4 + 8 + 2 + metadata.length);
        b.putShort(VERSION);
        b.putLong(offset.offset());
        b.putInt(offset.leaderEpoch());
        b.putLong(offset.commitTimestamp());
        putString(b, metadata);
        return b.flip();
    }

    /**
     * @throws IllegalArgumentException a record this codec did not write
     */
    public static Key decodeKey(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        try {
            checkVersion(b.getShort(), "key");
            String group = getString(b);
            String topic = getString(b);
            return new Key(group, new TopicPartition(topic, b.getInt()));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("Truncated offset record key", e);
        }
    }

    /**
     * @throws IllegalArgumentException a record this codec did not write
     */
    public static CommittedOffset decodeValue(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        try {
            checkVersion(b.getShort(), "value");
            long offset = b.getLong();
            int epoch = b.getInt();
            long timestamp = b.getLong();
            return new CommittedOffset(offset, epoch, getString(b), timestamp);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("Truncated offset record value", e);
        }
    }

    private static void checkVersion(short version, String what) {
        if (version != VERSION) {
            throw new IllegalArgumentException("Unknown offset record " + what + " version " + version);
        }
    }

    private static void putString(ByteBuffer b, byte[] s) {
        if (s.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("String of " + s.length + " bytes is too long for an offset record");
        }
        b.putShort((short) s.length);
        b.put(s);
    }

    private static String getString(ByteBuffer b) {
        int length = b.getShort();
        if (length < 0) {
            throw new IllegalArgumentException("Negative string length " + length);
        }
        byte[] s = new byte[length];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
