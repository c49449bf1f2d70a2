package io.tributary.group;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Creates the broker-assigned group members of the REST and WebSocket APIs and tells them when
 * topics change, so pattern subscriptions pick up new topics and leaders reassign grown topics.
 *
 * <p>Thread-safe. A member leaves the live set when it is closed or fails.
 */
public final class ManagedMembers {

    private final GroupCoordinator coordinator;
    private final CoordinatorLocation.Locator locator;
    private final ScheduledExecutorService scheduler;
    private final ManagedMember.TopicCatalog catalog;
    private final Set<ManagedMember> live = ConcurrentHashMap.newKeySet();

    /** Members of a coordinator of every group (one broker): the coordinator is always here. */
    public ManagedMembers(GroupCoordinator coordinator, ScheduledExecutorService scheduler,
                          ManagedMember.TopicCatalog catalog) {
        this(coordinator, groupId -> CoordinatorLocation.HERE, scheduler, catalog);
    }

    /**
     * @param locator where a group's coordinator is, for members this broker's coordinator turns away
     */
    public ManagedMembers(GroupCoordinator coordinator, CoordinatorLocation.Locator locator,
                          ScheduledExecutorService scheduler, ManagedMember.TopicCatalog catalog) {
        this.coordinator = coordinator;
        this.locator = locator;
        this.scheduler = scheduler;
        this.catalog = catalog;
    }

    /** A member that starts joining at once; its listener hears about its assignments. */
    public ManagedMember join(ManagedMember.Settings settings, ManagedMember.Subscribed subscribed,
                              ManagedMember.Listener listener) {
        ManagedMember member = new ManagedMember(settings, subscribed, coordinator, locator, scheduler, catalog, listener,
                live::remove);
        live.add(member);
        member.start();
        return member;
    }

    /** Topics were created, deleted, or changed: every member checks whether it must rejoin. */
    public void topicsChanged() {
        live.forEach(ManagedMember::topicsChanged);
    }

    /** Members currently joined or joining. */
    public int size() {
        return live.size();
    }
}
