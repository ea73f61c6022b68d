package io.edgesched.ebpf.libbpf;

import io.edgesched.api.NodeId;
import io.edgesched.api.WatchedService;
import io.edgesched.ebpf.EbpfRequestOriginSource;

/**
 * Run by {@link OriginAttachmentNetnsTest} as a child JVM inside the lab's server namespace: prints OPENING, opens
 * the source on the interface (args: interface, attach mode), prints OPENED and waits to be killed.
 */
public final class OriginSourceChild {
    private OriginSourceChild() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("OPENING");
        System.out.flush();
        EbpfRequestOriginSource source = EbpfRequestOriginSource.builder().node(NodeId.of("child"))
                .interfaceName(args[0]).attachMode(EbpfRequestOriginSource.AttachMode.valueOf(args[1])).open();
        source.watch(WatchedService.port(8080));
        System.out.println("OPENED");
        System.out.flush();
        Thread.sleep(120_000);
        source.close();
    }
}
