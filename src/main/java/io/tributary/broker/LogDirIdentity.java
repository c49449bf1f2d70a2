package io.tributary.broker;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * The {@code meta.properties} file in each log directory, as in Kafka: which cluster and broker
 * the data belongs to. Checked at start-up so a broker never serves (or overwrites) another
 * cluster's or another broker's logs after a configuration mistake.
 *
 * <p>Layout: a Java properties file with {@code version=0}, {@code broker.id}, {@code cluster.id}.
 * Written to a temporary file, fsynced and renamed, so a crash leaves the old or the new file.
 */
public final class LogDirIdentity {

    static final String FILE_NAME = "meta.properties";

    private LogDirIdentity() {
    }

    /**
     * Writes the identity if the directory has none, or checks it matches.
     *
     * @throws IllegalStateException if the directory belongs to another cluster or broker
     */
    public static void ensure(Path logDir, String clusterId, int brokerId) throws IOException {
        Files.createDirectories(logDir);
        Path file = logDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            Properties existing = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                existing.load(reader);
            }
            String foundCluster = existing.getProperty("cluster.id");
            String foundBroker = existing.getProperty("broker.id");
            if (foundCluster != null && !foundCluster.equals(clusterId)) {
                throw new IllegalStateException("Log directory " + logDir + " belongs to cluster " + foundCluster
                        + " but ZooKeeper holds cluster " + clusterId
                        + ". Point zookeeper.connect at that cluster's ZooKeeper or use an empty log.dirs.");
            }
            if (foundBroker != null && !foundBroker.equals(Integer.toString(brokerId))) {
                throw new IllegalStateException("Log directory " + logDir + " belongs to broker.id " + foundBroker
                        + " but this broker is broker.id " + brokerId + ".");
            }
            if (foundCluster != null && foundBroker != null) {
                return;
            }
        }
        Properties props = new Properties();
        props.setProperty("version", "0");
        props.setProperty("broker.id", Integer.toString(brokerId));
        props.setProperty("cluster.id", clusterId);
        Path tmp = logDir.resolve(FILE_NAME + ".tmp");
        try (Writer writer = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            props.store(writer, "Tributary log directory identity");
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
