{
  description = "Ferry: a self-hosted build-and-deploy server for Nix";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      packageFor = pkgs: self.packages.${pkgs.stdenv.hostPlatform.system}.default;
    in
    {
      packages = forAllSystems (pkgs: rec {
        ferry = pkgs.callPackage ./nixos/package.nix { };
        default = ferry;
      });

      # The modules default to this flake's package; set services.ferry.package to use another.
      nixosModules = {
        ferry = { lib, pkgs, ... }: {
          imports = [ ./nixos/ferry.nix ];
          services.ferry.package = lib.mkDefault (packageFor pkgs);
        };
        ferry-deployer = { lib, pkgs, ... }: {
          imports = [ ./nixos/ferry-deployer.nix ];
          services.ferry-deployer.package = lib.mkDefault (packageFor pkgs);
        };
        default = self.nixosModules.ferry;
      };

      checks = forAllSystems (pkgs: {
        package = packageFor pkgs;
        # A server node publishes a closure and writes a manifest generation; a second node deploys it.
        vm = pkgs.testers.runNixOSTest (import ./nixos/tests/ferry.nix { inherit self; });
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [ pkgs.jdk21 pkgs.maven pkgs.nix pkgs.caddy pkgs.git ];
          shellHook = ''
            export JAVA_HOME=${pkgs.jdk21}
            export LC_ALL=C.UTF-8
          '';
        };
      });
    };
}
