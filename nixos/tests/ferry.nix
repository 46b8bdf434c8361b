# NixOS VM test: the server node publishes a closure to its cache and writes a signed manifest generation; the
# deployer node reads it over HTTP, substitutes the closure from the server (signatures checked) and runs it behind
# Caddy. Run with `nix build .#checks.x86_64-linux.vm` (it needs KVM and nixpkgs; it cannot run on machines without
# them).
#
# The closure is built into the server's image (it needs no network) and published with `ferry publish`; the test
# does not yet push a commit for the server's own builds (forge webhook -> nix build -> publish).
{ self }:

{ pkgs, lib, ... }:

let
  # A test-only key pair, made with `ferry keygen ferry-vm-test-1`. Never use it for anything else.
  secretKey = "ferry-vm-test-1:RAitQHBKhW6HQ2kc9zpVO55NMK7bHJ9IvOQBNB9/rqZsIgwLLG1IOyZj608MncnRBQK1d7rQsdoQw1QRKkBSjw==";
  publicKey = "ferry-vm-test-1:bCIMCyxtSDsmY+tPDJ3J0QUCtXe60LHaEMNUESpAUo8=";

  # The service: a static page served by busybox httpd on the port the deployer gives it ($PORT).
  page = pkgs.writeTextDir "index.html" "hello from ferry\n";
  hello = pkgs.writeShellScriptBin "hello" ''
    exec ${pkgs.busybox}/bin/httpd -f -p "$PORT" -h ${page}
  '';
  service = builtins.toJSON {
    name = "hello";
    artifact = { type = "nix-closure"; storePath = "${hello}"; };
    hosts = [ "deployer" ];
    exec = { command = "hello"; };
    http = { domain = "hello.test"; };
    ready = { http = { path = "/"; }; };
  };
in
{
  name = "ferry";

  nodes.server = { ... }: {
    imports = [ self.nixosModules.ferry ];
    services.ferry = {
      enable = true;
      # A path outside the store, as the module requires; written from the test's own copy at boot.
      cacheSecretKeyFile = "/etc/ferry-test/cache.sec";
      cachePublicKey = publicKey;
      settings.ferry.server.host = "0.0.0.0";
      openFirewall = true;
    };
    environment.etc."ferry-test/cache.sec" = { text = secretKey; mode = "0400"; };
    environment.etc."ferry-test/hello.json".text = service;
    # The closure to publish is in the server's store, not in the deployer's.
    system.extraDependencies = [ hello ];
    environment.systemPackages = [ pkgs.curl ];
    virtualisation.memorySize = 2048;
  };

  nodes.deployer = { ... }: {
    imports = [ self.nixosModules.ferry-deployer ];
    services.ferry-deployer = {
      enable = true;
      manifestUri = "http://server:8080/cache";
      trustedPublicKeys = [ publicKey ];
    };
    environment.systemPackages = [ pkgs.curl ];
    virtualisation.memorySize = 1536;
  };

  testScript = ''
    start_all()

    server.wait_for_unit("ferry.service")
    server.wait_for_open_port(8080)
    server.succeed("curl -sf http://127.0.0.1:8080/cache/nix-cache-info | grep 'StoreDir: /nix/store'")

    with subtest("the server publishes the closure and writes generation 1"):
        server.succeed("ferry publish --to file:///var/lib/ferry/cache --secret-key /etc/ferry-test/cache.sec ${hello}")
        server.succeed("ferry manifest set-service --cache file:///var/lib/ferry/cache --secret-key /etc/ferry-test/cache.sec --file /etc/ferry-test/hello.json")
        server.succeed("ferry manifest verify --cache file:///var/lib/ferry/cache --trusted-key ${publicKey}")
        server.succeed("curl -sf http://127.0.0.1:8080/cache/$(basename ${hello} | cut -c1-32).narinfo")

    with subtest("the deployer substitutes the closure from the server and runs it behind Caddy"):
        deployer.wait_for_unit("ferry-deployer.service")
        deployer.wait_for_unit("caddy.service")
        deployer.wait_until_succeeds("nix-store --check-validity ${hello}", timeout=120)
        deployer.wait_until_succeeds("systemctl is-active ferry-hello.service", timeout=120)
        deployer.succeed("systemctl show -p Slice --value ferry-hello.service | grep -x ferry.slice")
        deployer.wait_until_succeeds("curl -sf -H 'Host: hello.test' http://127.0.0.1/ | grep 'hello from ferry'", timeout=60)
        # The deployed closure is pinned: a garbage collection keeps it.
        deployer.succeed("nix-store --gc")
        deployer.succeed("nix-store --check-validity ${hello}")
  '';
}
