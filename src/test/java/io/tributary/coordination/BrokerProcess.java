package io.tributary.coordination;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import org.apache.curator.framework.CuratorFramework;

/**
 * A broker in its own JVM that registers itself and then waits to be killed, so tests can
 * crash a broker for real. Arguments: connect string, broker id, session timeout in ms.
 */
public final class BrokerProcess {

    public static void main(String[] args) throws Exception {
        CuratorFramework client = CuratorClients.newClient(args[0], Integer.parseInt(args[2]), 3_000,
                ZooKeeperTestSupport.threads("child"));
        client.start();
        ClusterMetadataStore store = new ClusterMetadataStore(client);
        store.start();
        int id = Integer.parseInt(args[1]);
        store.registerBroker(new BrokerInfo(id, "child", List.of(new Endpoint("PLAINTEXT", "PLAINTEXT", "child", 9092)),
                Optional.empty(), Map.of()));
        System.out.println("REGISTERED " + id);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
