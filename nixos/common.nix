# Pieces shared by services.ferry (ferry.nix) and services.ferry-deployer (ferry-deployer.nix).
{ lib, pkgs }:

rec {
  format = pkgs.formats.yaml { };

  # The settings rendered to Ferry's YAML, then checked at build time by Ferry itself: a typo in a key or a bad value
  # fails nixos-rebuild instead of the service. Secrets are not in the file (see credentials below), so the check
  # never needs them.
  # `as`: "server" or "agent", whom the file is for (ferry check-config --as).
  checkedConfig = name: as: package: settings:
    let
      file = format.generate "${name}.yaml" settings;
    in
    pkgs.runCommand "${name}-checked.yaml" { nativeBuildInputs = [ package ]; } ''
      export HOME=$TMPDIR FERRY_CDS=0 # a class archive would be written for this one run and thrown away
      ferry check-config --as ${as} --config ${file}
      ln -s ${file} $out
    '';

  # A secret given as a path on the host (never in the store): passed to the unit with LoadCredential= and to Ferry
  # as an environment variable pointing into $CREDENTIALS_DIRECTORY (%d). Environment variables win over the file.
  credentialOption = description: lib.mkOption {
    type = lib.types.nullOr lib.types.str;
    default = null;
    example = "/run/keys/ferry/secret";
    description = ''
      ${description}: a file on the host, outside the Nix store. It reaches the service through
      `LoadCredential=`; the service reads it from `$CREDENTIALS_DIRECTORY`.
    '';
  };

  # { credential-name = { file = "/host/path" or null; env = "VARIABLE"; }; } -> unit settings
  credentialSettings = credentials:
    let
      given = lib.filterAttrs (_: c: c.file != null) credentials;
    in
    {
      LoadCredential = lib.mapAttrsToList (name: c: "${name}:${c.file}") given;
      Environment = lib.mapAttrsToList (name: c: "${c.env}=%d/${name}") given;
    };

  credentialAssertions = service: credentials:
    lib.mapAttrsToList
      (name: c: {
        assertion = c.file == null || !(lib.hasPrefix builtins.storeDir (toString c.file));
        message = "${service}: the ${name} file must not be in the Nix store (it would be world-readable there): ${toString c.file}";
      })
      credentials;

  # Hardening for a JVM service. MemoryDenyWriteExecute stays off: the JIT writes and then executes code.
  hardening = {
    NoNewPrivileges = true;
    PrivateTmp = true;
    PrivateDevices = true;
    ProtectSystem = "strict";
    ProtectHome = true;
    ProtectKernelTunables = true;
    ProtectKernelModules = true;
    ProtectKernelLogs = true;
    ProtectControlGroups = true;
    ProtectClock = true;
    ProtectHostname = true;
    ProtectProc = "invisible";
    RestrictNamespaces = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    LockPersonality = true;
    MemoryDenyWriteExecute = false;
    RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" ];
    SystemCallArchitectures = "native";
    SystemCallFilter = [ "@system-service" ];
    UMask = "0027";
  };

  # Caddy with its admin API on loopback only: the deployer changes routes through it.
  caddyAdmin = adminUrl: ''
    admin ${lib.removePrefix "http://" adminUrl}
  '';
}
