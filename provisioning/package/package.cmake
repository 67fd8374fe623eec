# The appliance's .deb (scripts/package: `cpack -G DEB` in a Release build): install rules
# for the programs, the French catalog, the docs, the systemd units, the udev rules, the
# sysusers.d / tmpfiles.d entries and the example configuration; CPack's DEB settings with
# the maintainer scripts of this folder. Destinations are relative: the package installs
# under /usr (CPACK_PACKAGING_INSTALL_PREFIX), a plain `cmake --install` under
# CMAKE_INSTALL_PREFIX.
set(comptoir_package_dir ${CMAKE_CURRENT_LIST_DIR})

# The programs the appliance ships (not the tests, benchmarks or fuzzers): the counter, its
# provisioning, the pickup-code tools, the image reader and the reference portal (the
# technician's `comptoir-portal identity` and `bundle create`).
install(TARGETS comptoir comptoir-provision comptoir-code comptoir-scan comptoir-portal
        RUNTIME DESTINATION bin)
# Where init_i18n looks from /usr/bin: <exe dir>/../share/locale.
install(FILES ${CMAKE_BINARY_DIR}/share/locale/fr/LC_MESSAGES/comptoir.mo
        DESTINATION share/locale/fr/LC_MESSAGES)
install(FILES ${comptoir_package_dir}/comptoir.toml.example DESTINATION share/comptoir)
install(FILES ${comptoir_package_dir}/comptoir-kiosk.service
              ${comptoir_package_dir}/comptoir-headless.service
        DESTINATION lib/systemd/system)
install(FILES ${comptoir_package_dir}/60-comptoir-scanners.rules DESTINATION lib/udev/rules.d)
install(FILES ${comptoir_package_dir}/comptoir.sysusers DESTINATION lib/sysusers.d
        RENAME comptoir.conf)
install(FILES ${comptoir_package_dir}/comptoir.tmpfiles DESTINATION lib/tmpfiles.d
        RENAME comptoir.conf)
# The docs a technician needs on the box; operations.md once written.
file(GLOB comptoir_docs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${comptoir_docs} DESTINATION share/doc/comptoir)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME comptoir)
set(CPACK_PACKAGE_VENDOR "Comptoir")
set(CPACK_PACKAGE_CONTACT "Comptoir maintainers <comptoir@example.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "pickup counter appliance for click-and-collect orders")
set(CPACK_PACKAGE_DESCRIPTION
    "Comptoir checks the pickup codes customers show (QR codes, bar codes, short codes) \
against the orders synced from the portal, offline when it must, and records each \
handover. This package holds the appliance (kiosk screen under the cage Wayland \
compositor, or headless with the scanners only), its provisioning tool, systemd units, \
udev rules for the common barcode scanners and the reference portal.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
# The libraries' packages come from dpkg-shlibdeps; the fonts the kiosk draws with, and
# systemd for the user, the directories and the units.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core, systemd")
# The kiosk's compositor (Debian 12: cage 0.1.4); the headless counter needs none.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "cage")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "udev")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${comptoir_package_dir}/postinst ${comptoir_package_dir}/prerm ${comptoir_package_dir}/postrm)
# The maintainer scripts 0755 and the control files 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
