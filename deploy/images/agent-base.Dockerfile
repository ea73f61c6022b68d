# Base image for the edgesched agent: the JRE plus the system libbpf the agent calls through
# java.lang.foreign (libbpf.so.1, API level 1.1 or newer). Jib layers the agent on top:
#   docker build -t <registry>/edgesched/agent-base:25 -f deploy/images/agent-base.Dockerfile .
#   ./mvnw -B -pl examples/agent -am -Pjib package -DskipTests -Dedgesched.agent.base=<registry>/edgesched/agent-base:25
FROM eclipse-temurin:25-jre
RUN apt-get update \
 && apt-get install -y --no-install-recommends libbpf1 \
 && rm -rf /var/lib/apt/lists/*
