package io.tributary.api.ws;

import io.tributary.api.rest.EmbeddedFormat;
import io.tributary.broker.subscription.RecordEncoder;
import io.tributary.records.ConsumedRecord;
import jakarta.json.stream.JsonGenerator;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Encodes records as {@code record} frames:
 * {@code {"type":"record","topic":"orders","partition":0,"offset":42,"timestamp":1700000000000,
 * "timestamp_type":"CreateTime","key":"alice","key_format":"string","value":{"n":1},"value_format":"json",
 * "headers":[{"name":"h","value":"<base64>"}]}}, keys and values in the subscriber's
 * {@link EmbeddedFormat} (the same rules as REST reads, so no byte is mangled or ambiguous), and
 * several of them as {@code {"type":"records","topic":"orders","partition":0,"records":[<record frame>, ...]}}.
 *
 * <p>This is the delivery hot path, so the fixed frame shape is written by hand straight into the
 * caller's builder instead of through a JSON-P generator and a tree per value: a value stored as JSON
 * text is copied by {@link JsonText} in one pass, and only text that copy declines is parsed and
 * written with JSON-P. The output is the same, char for char, as writing every field with the JSON-P
 * generator (which is what REST reads do).
 *
 * <p>Immutable and thread-safe.
 */
final class JsonRecordEncoder implements RecordEncoder {

    private static final Base64.Encoder BASE64 = Base64.getEncoder();

    private final EmbeddedFormat format;

    JsonRecordEncoder(EmbeddedFormat format) {
        this.format = format;
    }

    @Override
    public long record(StringBuilder out, TopicPartition tp, ConsumedRecord r) {
        int start = out.length();
        long extra = 0;
        out.append("{\"type\":\"record\",\"topic\":");
        extra += JsonText.appendString(out, tp.topic());
        out.append(",\"partition\":").append(tp.partition())
                .append(",\"offset\":").append(r.offset())
                .append(",\"timestamp\":").append(r.timestamp())
                .append(",\"timestamp_type\":");
        extra += JsonText.appendString(out, r.timestampType().name);
        extra += data(out, "key", r.key());
        extra += data(out, "value", r.value());
        out.append(",\"headers\":[");
        Header[] headers = r.headers();
        for (int i = 0; i < headers.length; i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append("{\"name\":");
            extra += JsonText.appendString(out, headers[i].key());
            out.append(",\"value\":");
            byte[] value = headers[i].value();
            if (value == null) {
                out.append("null");
            } else {
                base64(out, value);
            }
            out.append('}');
        }
        out.append("]}");
        return out.length() - start + extra;
    }

    @Override
    public void batchStart(StringBuilder out, TopicPartition tp) {
        out.append("{\"type\":\"records\",\"topic\":");
        JsonText.appendString(out, tp.topic());
        out.append(",\"partition\":").append(tp.partition()).append(",\"records\":[");
    }

    @Override
    public void batchSeparator(StringBuilder out) {
        out.append(',');
    }

    @Override
    public void batchEnd(StringBuilder out) {
        out.append("]}");
    }

    /**
     * Appends {@code ,"<name>":<data>,"<name>_format":<format>}.
     *
     * @return the UTF-8 bytes appended beyond one per char
     */
    private long data(StringBuilder out, String name, ByteBuffer bytes) {
        out.append(",\"").append(name).append("\":");
        if (bytes == null) {
            out.append("null,\"").append(name).append("_format\":null");
            return 0;
        }
        byte[] raw = new byte[bytes.remaining()];
        bytes.get(bytes.position(), raw);
        if (format == EmbeddedFormat.BINARY) {
            base64(out, raw);
            return formatName(out, name, "binary");
        }
        String text = utf8(raw);
        if (text == null) {
            base64(out, raw);
            return formatName(out, name, "binary");
        }
        if (format == EmbeddedFormat.STRING) {
            long extra = JsonText.appendString(out, text);
            return extra + formatName(out, name, "string");
        }
        int mark = out.length();
        long extra = JsonText.copy(text, out);
        if (extra != JsonText.DECLINED) {
            return extra + formatName(out, name, "json");
        }
        // Not something the copy takes: the JSON-P path decides (JSON it parses, or a string).
        out.setLength(mark);
        EmbeddedFormat.Encoded encoded = format.encode(ByteBuffer.wrap(raw));
        StringWriter written = new StringWriter(raw.length + 16);
        try (JsonGenerator g = FrameWriter.GENERATORS.createGenerator(written)) {
            g.write(encoded.value());
        }
        String value = written.toString();
        out.append(value);
        return extraUtf8(value) + formatName(out, name, encoded.format());
    }

    private static long formatName(StringBuilder out, String name, String format) {
        out.append(",\"").append(name).append("_format\":\"").append(format).append('"');
        return 0;
    }

    private static void base64(StringBuilder out, byte[] raw) {
        byte[] encoded = BASE64.encode(raw);
        out.append('"');
        for (byte b : encoded) {
            out.append((char) b);
        }
        out.append('"');
    }

    /** The text of UTF-8 bytes, or null if they are not valid UTF-8. */
    private static String utf8(byte[] raw) {
        // The replacing decoder is much faster than a reporting one (ASCII is one vectorized check and
        // a copy); it puts U+FFFD for every malformed sequence, so only text holding one needs the
        // strict check.
        String text = new String(raw, StandardCharsets.UTF_8);
        if (text.indexOf('\uFFFD') < 0) {
            return text;
        }
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw));
            return chars.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** UTF-8 bytes of {@code s} beyond one per char. */
    private static long extraUtf8(String s) {
        long extra = 0;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x800) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                }
                extra += 2;
            } else if (c >= 0x80) {
                extra++;
            }
        }
        return extra;
    }
}
