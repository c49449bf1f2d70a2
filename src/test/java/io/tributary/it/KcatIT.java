package io.tributary.it;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kcat (librdkafka) against a real Liberty: metadata, produce with each codec, consume from the
 * beginning, an offset and the end. kcat comes from Debian's packages; the test installs it when
 * it is missing and apt-get can, and skips (saying why) only when it cannot.
 */
class KcatIT {

    private static LibertyServer server;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(ensureKcat(), "kcat is not installed and could not be installed with apt-get "
                + "(run 'apt-get install -y kcat' as root to run these tests)");
        server = new LibertyServer(Map.of()).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    record Result(int exit, String out, String err) {
    }

    static boolean ensureKcat() throws Exception {
        if (run(List.of("sh", "-c", "command -v kcat"), null).exit() == 0) {
            return true;
        }
        if (run(List.of("sh", "-c", "command -v apt-get"), null).exit() != 0) {
            return false;
        }
        Result install = run(List.of("sh", "-c", "export DEBIAN_FRONTEND=noninteractive; (apt-get install -y kcat || (apt-get update && apt-get install -y kcat)) 2>&1"), null);
        System.out.println("apt-get install kcat: " + install.exit() + "\n" + install.err());
        return run(List.of("sh", "-c", "command -v kcat"), null).exit() == 0;
    }

    static Result run(List<String> command, String stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    static Result kcat(String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("kcat", "-b", server.kafkaBootstrap()));
        command.addAll(List.of(args));
        Result r = run(command, stdin);
        assertEquals(0, r.exit(), "kcat " + String.join(" ", args) + " exited " + r.exit() + ":\n" + r.err() + "\nstdout:\n" + r.out());
        return r;
    }

    @Test
    void metadataListsTheBrokerAndTopics() throws Exception {
        kcat("a\nb\n", "-P", "-t", "listed", "-p", "0");
        String out = kcat(null, "-L").out();
        assertTrue(out.contains("1 brokers:"), out);
        assertTrue(out.contains("broker 0 at 127.0.0.1:" + server.kafkaPort()), out);
        assertTrue(out.contains("topic \"listed\" with 1 partitions"), out);
    }

    @ParameterizedTest(name = "kcat -z {0}")
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void kcatProducesWithEachCodecAndTheJavaClientReads(String codec) throws Exception {
        String topic = "kcat-" + codec;
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            lines.append("key").append(i).append(':').append("value-").append(i).append('\n');
        }
        kcat(lines.toString(), "-P", "-t", topic, "-p", "0", "-K", ":", "-z", codec, "-X", "linger.ms=20");
        List<ConsumerRecord<String, String>> got = KafkaClientsIT.readWith(server, topic, 0, 100);
        assertEquals(100, got.size());
        for (int i = 0; i < 100; i++) {
            assertEquals("key" + i, got.get(i).key());
            assertEquals("value-" + i, got.get(i).value());
        }
        String consumed = kcat(null, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-f", "%o %k %s\n").out();
        assertTrue(consumed.startsWith("0 key0 value-0\n"), consumed);
        assertTrue(consumed.contains("99 key99 value-99\n"), consumed);
    }

    @Test
    void kcatConsumesWhatTheJavaClientProducedFromAnyOffset() throws Exception {
        String topic = "java-to-kcat";
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd"))) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)).get(30, TimeUnit.SECONDS);
            }
        }
        String all = kcat(null, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-f", "%o=%s\n").out();
        assertEquals(20, all.lines().count(), all);
        String fromOffset = kcat(null, "-C", "-t", topic, "-p", "0", "-o", "15", "-e", "-f", "%o=%s\n").out();
        assertEquals(List.of("15=v15", "16=v16", "17=v17", "18=v18", "19=v19"), fromOffset.lines().toList());
        String lastTwo = kcat(null, "-C", "-t", topic, "-p", "0", "-o", "-2", "-e", "-f", "%s\n").out();
        assertEquals(List.of("v18", "v19"), lastTwo.lines().toList());
        String query = kcat(null, "-Q", "-t", topic + ":0:-1").out();
        assertTrue(query.contains("offset 20"), query);
    }

    @Test
    void kcatConsumesInAGroupAndResumesAtItsCommit() throws Exception {
        String topic = "kcat-group";
        kcat("a\nb\nc\n", "-P", "-t", topic, "-p", "0");
        // librdkafka commits what it consumed when it closes; the next run of the group starts there.
        String first = kcat(null, "-G", "kcat-readers", "-X", "auto.offset.reset=earliest", "-e", "-f", "%s\n", topic).out();
        assertEquals(List.of("a", "b", "c"), first.lines().toList());
        kcat("d\ne\n", "-P", "-t", topic, "-p", "0");
        String second = kcat(null, "-G", "kcat-readers", "-X", "auto.offset.reset=earliest", "-e", "-f", "%s\n", topic).out();
        assertEquals(List.of("d", "e"), second.lines().toList());
    }
}
