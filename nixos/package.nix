# Ferry built with Maven. The dependencies are a fixed-output derivation (maven.buildMavenPackage: `mvn package`
# with network access into a local repository whose hash is mvnHash), then the build runs offline against it.
{ lib, maven, jdk21_headless, makeWrapper }:

let
  mavenJdk21 = maven.override { jdk_headless = jdk21_headless; };
in
mavenJdk21.buildMavenPackage {
  pname = "ferry";
  version = "0.1.0";

  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../pom.xml
      ../testkit
      ../cache
      ../webhook
      ../builder
      ../deployer
      ../app
      ../packaging/ferry
    ];
  };

  # After a change to the dependencies, set lib.fakeHash, build, and copy the hash Nix reports.
  mvnHash = lib.fakeHash;

  # -DskipTests, not -Dmaven.test.skip: the app module's tests use the cache module's test jar, which must be built.
  mvnParameters = "-B -DskipTests -pl app -am";

  nativeBuildInputs = [ makeWrapper ];

  installPhase = ''
    runHook preInstall
    mkdir -p $out/share/ferry/bin $out/bin
    cp app/target/ferry.jar $out/share/ferry/
    cp -r app/target/lib $out/share/ferry/
    # The launcher Debian installs (packaging/ferry): a UTF-8 locale, and a class archive per short command in
    # ~/.cache/ferry/cds. It finds the jar in the directory above its own.
    install -m 755 packaging/ferry $out/share/ferry/bin/ferry
    # nix is not bundled: the services put the system's nix on PATH, as a shell has it.
    makeWrapper $out/share/ferry/bin/ferry $out/bin/ferry \
      --set JAVA_HOME ${jdk21_headless}
    runHook postInstall
  '';

  meta = {
    description = "Self-hosted build-and-deploy server for Nix: signed binary cache, builds, deployments";
    mainProgram = "ferry";
    platforms = lib.platforms.linux;
  };
}
