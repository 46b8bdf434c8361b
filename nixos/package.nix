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
    ];
  };

  # After a change to the dependencies, set lib.fakeHash, build, and copy the hash Nix reports.
  mvnHash = lib.fakeHash;

  # -DskipTests, not -Dmaven.test.skip: the app module's tests use the cache module's test jar, which must be built.
  mvnParameters = "-B -DskipTests -pl app -am";

  nativeBuildInputs = [ makeWrapper ];

  installPhase = ''
    runHook preInstall
    mkdir -p $out/share/ferry $out/bin
    cp app/target/ferry.jar $out/share/ferry/
    cp -r app/target/lib $out/share/ferry/
    # nix is not bundled: the services put the system's nix on PATH, as a shell has it.
    makeWrapper ${jdk21_headless}/bin/java $out/bin/ferry \
      --add-flags "-jar $out/share/ferry/ferry.jar" \
      --set-default LC_ALL C.UTF-8
    runHook postInstall
  '';

  meta = {
    description = "Self-hosted build-and-deploy server for Nix: signed binary cache, builds, deployments";
    mainProgram = "ferry";
    platforms = lib.platforms.linux;
  };
}
