#include "runtime/messages.hpp"

#include <time.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <utility>
#include <vector>

namespace comptoir {
namespace {

std::string tr(Lang lang, std::string fr, std::string en) {
  return lang == Lang::fr ? std::move(fr) : std::move(en);
}

std::string join_lines(const std::vector<int> &lines) {
  std::string out;
  for (int n : lines) out += (out.empty() ? "" : ", ") + std::to_string(n);
  return out;
}

std::string not_a_code_reason(std::string_view detail, Lang lang) {
  if (detail == "product_barcode")
    return tr(lang, "c'est le code-barres d'un produit", "this is a product barcode");
  if (detail == "web_address") return tr(lang, "c'est une adresse web", "this is a web address");
  if (detail == "too_long") return tr(lang, "lecture trop longue", "the read is too long");
  if (detail == "empty") return tr(lang, "lecture vide", "the read is empty");
  if (detail == "control_characters")
    return tr(lang, "caractères de contrôle, lecteur mal réglé ?",
              "control characters, scanner misconfigured?");
  if (detail == "damaged_token")
    return tr(lang, "QR code mal lu ou abîmé, scannez-le à nouveau",
              "QR code misread or damaged, scan it again");
  if (detail == "token_version")
    return tr(lang, "QR code d'un format plus récent, mettez Comptoir à jour",
              "QR code of a newer format, update Comptoir");
  if (detail == "no_such_order_number")
    return tr(lang, "aucune commande à ce numéro", "no order has this number");
  return tr(lang, "format non reconnu", "format not recognised");
}

// The sync agent's and enrolment's errors (sync/http_client.hpp, sync_agent.hpp,
// enrolment.hpp). Their details are libcurl's or the portal's English: for the log, not
// for these sentences. Handovers are never lost by a failed round, and staff need to hear
// that before anything else.
// The same codes met by `comptoir enrol`: nothing was written (sync_commands.cpp takes away
// what it created), nothing retries by itself, and a code the portal may have taken before
// the link broke is worth a word. nullopt: the appliance's sentence holds for enrolment too.
std::optional<std::string> enrol_error_message(const std::string &c, Lang lang) {
  if (c == "offline")
    return tr(lang,
              "Portail injoignable (pas de réseau ?) : l'appareil n'est pas inscrit, rien n'a été "
              "changé. Vérifiez la connexion (câble, Wi-Fi, 4G) et l'adresse du portail, puis "
              "relancez l'inscription avec le même code.",
              "Portal unreachable (no network?): the appliance is not enrolled, nothing was "
              "changed. Check the connection (cable, Wi-Fi, 4G) and the portal's address, then "
              "run the enrolment again with the same code.");
  if (c == "stalled" || c == "transfer_failed" || c == "gzip_invalid")
    return tr(lang,
              std::string(c == "stalled" ? "La liaison avec le portail s'est bloquée"
                                         : "La liaison avec le portail a été coupée") +
                  " pendant l'inscription : l'appareil n'est pas inscrit, rien n'a été changé. "
                  "Vérifiez la connexion et relancez l'inscription ; si le portail répond alors "
                  "que le code a déjà servi, demandez-en un nouveau à son administrateur.",
              std::string(c == "stalled" ? "The link to the portal stalled"
                                         : "The link to the portal broke") +
                  " during the enrolment: the appliance is not enrolled, nothing was changed. "
                  "Check the connection and run the enrolment again; if the portal then says "
                  "the code was already used, ask its admin for a new one.");
  if (c == "tls_untrusted")
    return tr(lang,
              "Certificat du portail refusé : l'inscription est arrêtée pour ne pas confier "
              "l'appareil à un faux portail, rien n'a été changé. Vérifiez l'adresse du portail "
              "et la date et l'heure de l'appareil ; si le portail a sa propre autorité de "
              "certification, donnez-la avec --ca-file.",
              "The portal's certificate was refused: the enrolment is stopped so as not to hand "
              "the appliance to a fake portal, nothing was changed. Check the portal's address "
              "and the appliance's date and time; if the portal has its own certificate "
              "authority, give it with --ca-file.");
  if (c == "response_too_large" || c == "portal_invalid" || c == "wire_invalid")
    return tr(lang,
              "Réponse du portail incorrecte à l'inscription : l'appareil n'est pas inscrit, rien "
              "n'a été changé. Prévenez l'administrateur du portail (le code a peut-être servi).",
              "The portal's answer to the enrolment was malformed: the appliance is not "
              "enrolled, nothing was changed. Tell the portal's admin (the code may have been "
              "used).");
  if (c == "portal_error")
    return tr(lang,
              "Le portail a un problème de son côté : l'appareil n'est pas inscrit, rien n'a été "
              "changé. Relancez l'inscription avec le même code dans quelques minutes.",
              "The portal has a problem on its side: the appliance is not enrolled, nothing was "
              "changed. Run the enrolment again with the same code in a few minutes.");
  if (c == "portal_refused")
    return tr(lang,
              "Le portail refuse cette inscription : rien n'a été changé. Voyez avec "
              "l'administrateur du portail (sa réponse est donnée ci-dessous).",
              "The portal refuses this enrolment: nothing was changed. See the portal's admin "
              "(its answer is given below).");
  return std::nullopt;
}

std::optional<std::string> sync_error_message(const std::string &c, Lang lang) {
  if (c == "offline")
    return tr(lang,
              "Portail injoignable (pas de réseau ?) : les remises restent enregistrées ici et "
              "partiront d'elles-mêmes au retour du réseau. Si cela dure, vérifiez la connexion "
              "(câble, Wi-Fi, 4G).",
              "Portal unreachable (no network?): handovers stay recorded here and go out by "
              "themselves when the network is back. If it lasts, check the connection (cable, "
              "Wi-Fi, 4G).");
  if (c == "stalled")
    return tr(lang,
              "La liaison avec le portail s'est bloquée (plus rien ne passait) : rien n'est perdu, "
              "un nouvel essai part tout seul. Si cela dure, vérifiez la connexion.",
              "The link to the portal stalled (nothing was getting through): nothing is lost, "
              "it tries again by itself. If it lasts, check the connection.");
  if (c == "transfer_failed" || c == "gzip_invalid")
    return tr(lang,
              "Liaison avec le portail coupée en plein échange : rien n'est perdu, un nouvel "
              "essai part tout seul. Si cela dure, vérifiez la connexion.",
              "The link to the portal broke mid-exchange: nothing is lost, it tries again by "
              "itself. If it lasts, check the connection.");
  if (c == "aborted")
    return tr(lang,
              "Synchro interrompue par l'arrêt de Comptoir : rien n'est perdu, elle reprendra au "
              "prochain démarrage.",
              "Sync interrupted because Comptoir is stopping: nothing is lost, it resumes at the "
              "next start.");
  if (c == "tls_untrusted")
    return tr(lang,
              "Certificat du portail refusé : la synchro est arrêtée pour ne pas parler à un faux "
              "portail. Les remises restent enregistrées ici. Appelez le technicien (adresse du "
              "portail, date et heure de l'appareil, ca_file dans [sync]).",
              "The portal's certificate was refused: sync is stopped so as not to talk to a fake "
              "portal. Handovers stay recorded here. Call the technician (the portal's address, "
              "the appliance's date and time, ca_file in [sync]).");
  if (c == "insecure_url")
    return tr(lang,
              "Adresse du portail en http:// non chiffré : refusée hors de cette machine. Donnez "
              "son adresse https:// (ou, sur un réseau d'essai seulement, insecure = true dans "
              "[sync]).",
              "The portal's address is plain http://: refused beyond this machine. Give its "
              "https:// address (or, on a test network only, insecure = true in [sync]).");
  if (c == "bad_url")
    return tr(lang,
              "Adresse du portail incorrecte : donnez-la sous la forme https://portail.exemple.fr "
              "(ou scannez le QR code d'inscription, qui la contient).",
              "The portal's address is not valid: give it as https://portal.example.org (or scan "
              "the enrolment QR code, which holds it).");
  if (c == "response_too_large")
    return tr(lang,
              "Réponse du portail trop volumineuse : refusée, rien n'a été appliqué ; un nouvel "
              "essai part tout seul. Si cela se répète, appelez le technicien.",
              "The portal's answer was too large: refused, nothing was applied; it tries again "
              "by itself. If it happens again, call the technician.");
  if (c == "portal_refused")
    return tr(lang,
              "Le portail refuse cet appareil (inconnu ou retiré) : les remises restent "
              "enregistrées ici. Appelez le technicien pour l'inscrire à nouveau.",
              "The portal refuses this appliance (unknown or revoked): handovers stay recorded "
              "here. Call the technician to enrol it again.");
  if (c == "portal_error")
    return tr(lang,
              "Le portail a un problème de son côté : rien n'est perdu, un nouvel essai part tout "
              "seul un peu plus tard.",
              "The portal has a problem on its side: nothing is lost, it tries again by itself a "
              "little later.");
  if (c == "portal_invalid" || c == "wire_invalid")
    return tr(lang,
              "Réponse du portail incorrecte : refusée, rien n'a été appliqué ; un nouvel essai "
              "part tout seul. Si cela se répète, appelez le technicien.",
              "The portal's answer was malformed: refused, nothing was applied; it tries again "
              "by itself. If it happens again, call the technician.");
  if (c == "page_inconsistent")
    return tr(lang,
              "Données du portail incohérentes (une commande qui ne va pas avec le reste) : "
              "refusées, rien n'a été appliqué. Si cela se répète, appelez le technicien.",
              "The portal's data do not hold together (an order that does not match the rest): "
              "refused, nothing was applied. If it happens again, call the technician.");
  if (c == "clock_skew")
    return tr(lang,
              "L'horloge de l'appareil est trop loin de celle du portail : réglez la date et "
              "l'heure de l'appareil, ou appelez le technicien.",
              "The appliance's clock is too far from the portal's: set the appliance's date and "
              "time, or call the technician.");
  if (c == "not_enrolled")
    return tr(lang,
              "Cet appareil n'est relié à aucun portail : inscrivez-le avec « comptoir enrol "
              "--portal ADRESSE --code CODE » (le code vient de l'administrateur du portail).",
              "This appliance is not linked to a portal: enrol it with \"comptoir enrol --portal "
              "URL --code CODE\" (the code comes from the portal's admin).");
  if (c == "already_enrolled")
    return tr(lang,
              "Cet appareil est déjà inscrit auprès d'un portail : rien n'a été changé. Pour "
              "l'inscrire à nouveau, ajoutez --force.",
              "This appliance is already enrolled with a portal: nothing was changed. To enrol "
              "it again, add --force.");
  if (c == "bad_code")
    return tr(lang,
              "Code d'inscription inconnu du portail : vérifiez-le (12 caractères, comme "
              "K7QM-9X2D-F3A4) ou demandez-en un nouveau à l'administrateur du portail.",
              "The portal does not know this enrolment code: check it (12 characters, like "
              "K7QM-9X2D-F3A4) or ask the portal's admin for a new one.");
  if (c == "code_used")
    return tr(lang,
              "Ce code d'inscription a déjà servi : demandez-en un nouveau à l'administrateur du "
              "portail.",
              "This enrolment code was already used: ask the portal's admin for a new one.");
  if (c == "code_expired")
    return tr(lang,
              "Ce code d'inscription a expiré (il vaut 24 h) : demandez-en un nouveau à "
              "l'administrateur du portail.",
              "This enrolment code has expired (it lasts 24 h): ask the portal's admin for a "
              "new one.");
  if (c == "portal_key_mismatch")
    return tr(lang,
              "Ce portail n'est pas celui auquel cet appareil est attaché (sa clé d'identité "
              "diffère) : rien n'a été écrit. S'il a vraiment changé, retirez portal_key de la "
              "section [sync] de la configuration et inscrivez l'appareil avec --force et un "
              "nouveau code.",
              "This portal is not the one this appliance is pinned to (its identity key "
              "differs): nothing was written. If it really moved, remove portal_key from the "
              "[sync] table of the config and enrol with --force and a new code.");
  if (c == "stand_not_enrolled")
    return tr(lang,
              "Ce code n'inscrit pas ce point de retrait : choisissez un stand que le code "
              "inscrit (--stand), ou demandez un code pour celui-ci à l'administrateur du portail.",
              "This code does not enrol that stand: choose a stand the code enrols (--stand), or "
              "ask the portal's admin for a code for this one.");
  if (c == "credentials_unreadable")
    return tr(lang,
              "Identité de l'appareil (device.key) illisible ou lisible par d'autres : la synchro "
              "est arrêtée, les remises restent enregistrées ici. Si le fichier est seulement "
              "trop ouvert, « chmod 600 » suffit ; s'il est abîmé, inscrivez l'appareil à "
              "nouveau (« comptoir enrol --force »).",
              "The appliance's identity (device.key) is unreadable or readable by others: sync is "
              "stopped, handovers stay recorded here. If the file is only too open, \"chmod 600\" "
              "is enough; if it is damaged, enrol the appliance again (\"comptoir enrol "
              "--force\").");
  if (c == "credentials_unwritable")
    return tr(lang,
              "Impossible d'écrire l'identité de l'appareil (device.key) : le disque est plein ou "
              "le dossier de données protégé. Libérez de la place ou vérifiez les droits, puis "
              "inscrivez l'appareil à nouveau.",
              "Cannot write the appliance's identity (device.key): the disk is full or the data "
              "directory is protected. Free some space or check its permissions, then enrol "
              "again.");
  if (c == "sync_disabled")
    return tr(lang,
              "Synchronisation désactivée dans la configuration ([sync] enabled = false) : les "
              "remises restent enregistrées ici. Pour la rétablir, mettez enabled = true et "
              "redémarrez le comptoir, ou appelez le technicien.",
              "Sync is switched off in the config ([sync] enabled = false): handovers stay "
              "recorded here. To turn it back on, set enabled = true and restart the counter, "
              "or call the technician.");
  if (c == "appliance_running")
    return tr(lang,
              "Le comptoir est déjà lancé sur ce dossier de données et se synchronise tout seul : "
              "regardez son bandeau ou « :status », ou arrêtez-le avant cette commande.",
              "The counter is already running on this data directory and syncs by itself: look "
              "at its banner or \":status\", or stop it before this command.");
  // Offline bundles (comptoir-provision bundle apply): nothing is changed on a refusal.
  if (c == "bundle_file_unreadable")
    return tr(lang,
              "Fichier du paquet illisible : vérifiez le chemin (la clé USB est-elle montée ?) ; "
              "rien n'a été changé.",
              "The bundle file cannot be read: check the path (is the USB stick mounted?); "
              "nothing was changed.");
  if (c == "bundle_unreadable")
    return tr(lang,
              "Ce fichier n'est pas un paquet Comptoir : vérifiez que c'est bien le fichier fait "
              "par « comptoir-portal bundle create » ; rien n'a été changé.",
              "This file is not a Comptoir bundle: check it is the file made by "
              "\"comptoir-portal bundle create\"; nothing was changed.");
  if (c == "bundle_damaged")
    return tr(lang,
              "Paquet abîmé ou incomplet (copie interrompue ?) : copiez-le à nouveau depuis le "
              "portail ; rien n'a été changé.",
              "The bundle is damaged or cut short (an interrupted copy?): copy it again from the "
              "portal; nothing was changed.");
  if (c == "bundle_tampered")
    return tr(lang,
              "Paquet abîmé ou modifié : reprenez-en une copie neuve depuis le portail (jamais "
              "un fichier retouché) ; rien n'a été changé.",
              "The bundle is damaged or modified: get a new copy from the portal (never an "
              "edited file); nothing was changed.");
  if (c == "bundle_untrusted")
    return tr(lang,
              "Aucune clé de portail de confiance sur cet appareil : ajoutez --portal-key avec "
              "l'empreinte que « comptoir-portal identity » affiche chez l'administrateur du "
              "portail ; rien n'a été changé.",
              "No trusted portal key on this appliance: add --portal-key with the fingerprint "
              "\"comptoir-portal identity\" prints at the portal's admin; nothing was changed.");
  if (c == "bundle_foreign")
    return tr(lang,
              "Paquet signé par un autre portail que celui de confiance : refusé. Vérifiez "
              "l'empreinte avec l'administrateur du portail ; rien n'a été changé.",
              "The bundle is signed by another portal than the trusted one: refused. Check the "
              "fingerprint with the portal's admin; nothing was changed.");
  if (c == "bundle_invalid")
    return tr(lang,
              "Le contenu du paquet ne respecte pas le format : demandez un nouveau paquet à "
              "l'administrateur du portail ; rien n'a été changé.",
              "The bundle's content breaks the format: ask the portal's admin for a new "
              "bundle; nothing was changed.");
  if (c == "bundle_expired")
    return tr(lang,
              "Paquet expiré (ou horloge de l'appareil fausse) : vérifiez la date de l'appareil, "
              "sinon demandez un nouveau paquet ; rien n'a été changé.",
              "The bundle has expired (or the appliance's clock is wrong): check the "
              "appliance's date, else ask for a new bundle; nothing was changed.");
  if (c == "bundle_stale")
    return tr(lang,
              "Ce paquet n'est pas plus récent que les données de l'appareil : appliquez le "
              "paquet le plus récent ; rien n'a été changé.",
              "This bundle is not newer than the appliance's data: apply the newest bundle; "
              "nothing was changed.");
  if (c == "bundle_other_portal")
    return tr(lang,
              "L'appareil est inscrit auprès d'un autre portail que celui du paquet : demandez un "
              "paquet à son portail, ou réinitialisez l'appareil ; rien n'a été changé.",
              "The appliance is enrolled with another portal than the bundle's: ask its portal "
              "for a bundle, or reset the appliance; nothing was changed.");
  if (c == "bundle_other_stand")
    return tr(lang,
              "L'appareil sert un autre point de retrait que celui du paquet : demandez un paquet "
              "pour son point de retrait ; rien n'a été changé.",
              "The appliance serves another stand than the bundle's: ask for a bundle for its "
              "stand; nothing was changed.");
  if (c == "bad_portal_key")
    return tr(lang,
              "Clé de portail illisible : donnez les 64 caractères hexadécimaux ou l'empreinte "
              "XXXXX-XXXXX-XXXXX-XXXXX que « comptoir-portal identity » affiche.",
              "The portal key does not read: give its 64 hex digits or the fingerprint "
              "XXXXX-XXXXX-XXXXX-XXXXX that \"comptoir-portal identity\" prints.");
  if (c == "portal_foreign")
    return tr(lang,
              "Le portail joint n'a pas la clé de celui qui a signé le paquet : l'inscription est "
              "refusée. Vérifiez l'adresse du portail avec son administrateur.",
              "The portal reached does not have the key of the one that signed the bundle: the "
              "enrolment is refused. Check the portal's address with its admin.");
  return std::nullopt;
}

}  // namespace

std::optional<Lang> lang_from_string(std::string_view text) {
  if (text == "fr") return Lang::fr;
  if (text == "en") return Lang::en;
  return std::nullopt;
}

std::string format_money(std::int64_t cents, Lang lang) {
  const bool negative = cents < 0;
  const std::int64_t abs = negative ? -cents : cents;
  std::array<char, 48> buf{};
  if (lang == Lang::fr) {
    std::snprintf(buf.data(), buf.size(), "%s%lld,%02lld €", negative ? "-" : "",
                  static_cast<long long>(abs / 100), static_cast<long long>(abs % 100));
  } else {
    std::snprintf(buf.data(), buf.size(), "%s€%lld.%02lld", negative ? "-" : "",
                  static_cast<long long>(abs / 100), static_cast<long long>(abs % 100));
  }
  return buf.data();
}

std::string format_local_time(std::int64_t unix_s, Lang lang) {
  const time_t t = static_cast<time_t>(unix_s);
  tm local{};
  localtime_r(&t, &local);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), lang == Lang::fr ? "%d/%m à %H:%M" : "%d/%m at %H:%M",
                &local);
  return buf.data();
}

std::string iso_local_time(std::int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  tm local{};
  localtime_r(&t, &local);
  std::array<char, 40> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S%z", &local);
  std::string s = buf.data();
  if (s.size() >= 5) s.insert(s.end() - 2, ':');  // +0100 -> +01:00
  return s;
}

std::string verdict_message(const Verdict &v, Lang lang) {
  const auto &o = v.order;
  switch (v.kind) {
    case VerdictKind::ready:
      return tr(lang, "Commande prête : remettez-la au client.",
                "Order ready: hand it over to the customer.");
    case VerdictKind::payment_due:
      return tr(lang,
                "Reste à payer " + format_money(o->due_cents, lang) +
                    " : encaissez avant de remettre la commande.",
                format_money(o->due_cents, lang) +
                    " still to pay: take the payment before handing the order over.");
    case VerdictKind::already_collected: {
      const Collection &c = *v.collected;
      std::string who_fr, who_en;
      if (!c.device.empty() || !c.staff.empty()) {
        const std::string by = c.staff.empty() ? c.device : c.device + ", " + c.staff;
        who_fr = " (" + by + ")";
        who_en = " (" + by + ")";
      }
      const std::string when = c.wall_ms > 0 ? format_local_time(c.wall_ms / 1000, lang) : "";
      return tr(lang,
                "Déjà retirée" + (when.empty() ? "" : " le " + when) + who_fr +
                    " : ne remettez rien une seconde fois.",
                "Already collected" + (when.empty() ? "" : " on " + when) + who_en +
                    ": do not hand anything over a second time.");
    }
    case VerdictKind::not_ready:
      return tr(lang,
                "Pas encore prête : vérifiez en réserve, sinon proposez au client de repasser.",
                "Not ready yet: check the back room, or ask the customer to come back later.");
    case VerdictKind::cancelled:
      return tr(lang, "Commande annulée : ne remettez rien ; le client peut contacter le portail.",
                "Order cancelled: hand nothing over; the customer can contact the portal.");
    case VerdictKind::wrong_stand: {
      const StandRef &s = *v.collect_at;
      std::string where = s.name;
      if (where.empty()) {
        // Not "#" + to_string(): GCC 12 at -O3 warns there (-Wrestrict, a false positive).
        where = "#";
        where.append(std::to_string(s.id));
      } else if (!s.place.empty()) {
        where.append(", ").append(s.place);
      }
      return tr(lang, "Commande à retirer ailleurs : " + where + ". Indiquez-le au client.",
                "To be collected at another stand: " + where + ". Tell the customer.");
    }
    case VerdictKind::too_early:
      return tr(lang,
                "Trop tôt : retrait à partir du " + format_local_time(o->pickup_from, lang) +
                    ". Proposez au client de repasser.",
                "Too early: pickup starts " + format_local_time(o->pickup_from, lang) +
                    ". Ask the customer to come back then.");
    case VerdictKind::expired:
      return tr(lang,
                "Créneau de retrait dépassé (fin le " + format_local_time(o->pickup_until, lang) +
                    ") : voyez avec le responsable avant de remettre quoi que ce soit.",
                "Pickup window ended (" + format_local_time(o->pickup_until, lang) +
                    "): check with the manager before handing anything over.");
    case VerdictKind::unknown:
      if (v.detail == "rate_limited") {
        return tr(lang,
                  "Trop de codes inconnus : saisie des codes suspendue 30 secondes. Scannez le "
                  "QR code du client s'il l'a.",
                  "Too many unknown codes: typed codes are paused for 30 seconds. Scan the "
                  "customer's QR code if they have it.");
      }
      return tr(lang,
                "Code inconnu : vérifiez-le ; si la commande est récente, synchronisez "
                "l'appareil.",
                "Unknown code: check it; if the order is recent, synchronise the appliance.");
    case VerdictKind::mistyped:
      return tr(lang, "Code mal saisi : vérifiez-le et tapez-le à nouveau.",
                "Mistyped code: check it and type it again.");
    case VerdictKind::forged:
      return tr(lang,
                "Code falsifié : la signature du portail ne correspond pas. Ne remettez rien ; "
                "demandez la confirmation de commande au client.",
                "Forged code: the portal's signature does not match. Hand nothing over; ask "
                "the customer for the order confirmation.");
    case VerdictKind::unknown_key:
      if (v.detail == "key_not_valid") {
        return tr(lang,
                  "Code signé avec une clé du portail périmée ou pas encore valable : vérifiez "
                  "la date de l'appareil, puis synchronisez-le.",
                  "Signed with a portal key that has expired or is not valid yet: check the "
                  "appliance's date, then synchronise it.");
      }
      return tr(lang,
                "Code signé avec une clé inconnue de l'appareil : synchronisez l'appareil, "
                "puis scannez à nouveau.",
                "Signed with a key this appliance does not know: synchronise the appliance, "
                "then scan again.");
    case VerdictKind::ready_unsynced:
      return tr(lang,
                std::string("Code authentique, commande ") + o->number +
                    (o->prepaid ? " payée" : "") +
                    " : son contenu n'est pas encore synchronisé. Remettez-la d'après le bon "
                    "du client ; elle sera rapprochée à la synchro.",
                std::string("Genuine code, order ") + o->number + (o->prepaid ? " (paid)" : "") +
                    ": its contents are not synced yet. Hand it over from the customer's "
                    "confirmation; it will be reconciled at sync.");
    case VerdictKind::not_a_pickup_code:
      return tr(lang, "Ce n'est pas un code de retrait (", "Not a pickup code (") +
             not_a_code_reason(v.detail, lang) +
             tr(lang, ") : scannez le QR code de la commande ou tapez son code.",
                "): scan the order's QR code or type its code.");
  }
  return {};
}

std::string layout_message(const std::string &layout, Lang lang) {
  const auto sep = layout.find('>');
  if (sep == std::string::npos) return {};
  std::string scanner = layout.substr(0, sep);
  std::string host = layout.substr(sep + 1);
  for (char &c : scanner) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  for (char &c : host) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return tr(lang,
            "Lu malgré un clavier mal réglé : le lecteur tape en " + scanner +
                ", le poste lit en " + host + ". Réglez le lecteur sur " + host + ".",
            "Read despite a keyboard mix-up: the scanner types " + scanner + ", the host reads " +
                host + ". Set the scanner to " + host + ".");
}

std::string receipt_message(const HandoverReceipt &r, Lang lang) {
  switch (r.kind) {
    case db::EventKind::full:
      return tr(lang, "Commande " + r.order_number + " remise. Annulation possible 2 minutes.",
                "Order " + r.order_number + " handed over. Undo possible for 2 minutes.");
    case db::EventKind::partial:
      return tr(lang,
                "Commande " + r.order_number + " remise en partie ; lignes manquantes : " +
                    join_lines(r.lines_missing) + ". Le portail sera prévenu.",
                "Order " + r.order_number + " partly handed over; missing lines: " +
                    join_lines(r.lines_missing) + ". The portal will be told.");
    case db::EventKind::refused:
      return tr(lang, "Remise refusée pour la commande " + r.order_number + " : " + r.reason + ".",
                "Handover refused for order " + r.order_number + ": " + r.reason + ".");
    case db::EventKind::undo:
      return tr(lang,
                "Remise de la commande " + r.order_number +
                    " annulée : elle peut de nouveau être retirée.",
                "Handover of order " + r.order_number + " undone: it can be collected again.");
  }
  return {};
}

std::string status_message(const DeskStatus &s, Lang lang) {
  return tr(lang,
            // What waits for sync is in sync_status_message, with the link.
            std::to_string(s.ready) + " à retirer, " + std::to_string(s.not_ready) +
                " en préparation, " + std::to_string(s.collected) + " retirées, " +
                std::to_string(s.cancelled) + " annulées.",
            std::to_string(s.ready) + " awaiting pickup, " + std::to_string(s.not_ready) +
                " being prepared, " + std::to_string(s.collected) + " collected, " +
                std::to_string(s.cancelled) + " cancelled.");
}

SyncTrouble sync_trouble(std::string_view c) {
  if (c.empty() || c == "aborted") return SyncTrouble::none;
  if (c == "offline") return SyncTrouble::offline;
  if (c == "stalled" || c == "transfer_failed" || c == "gzip_invalid") {
    return SyncTrouble::unreachable;
  }
  if (c == "portal_error") return SyncTrouble::portal_down;
  if (c == "portal_invalid" || c == "wire_invalid" || c == "page_inconsistent" ||
      c == "response_too_large") {
    return SyncTrouble::bad_answer;
  }
  if (c == "tls_untrusted") return SyncTrouble::certificate;
  if (c == "bad_url" || c == "insecure_url") return SyncTrouble::address;
  if (c == "portal_refused") return SyncTrouble::device_refused;
  if (c == "clock_skew") return SyncTrouble::clock;
  if (c == "credentials_unreadable") return SyncTrouble::credentials;
  return SyncTrouble::other;
}

bool needs_technician(SyncTrouble t) {
  return t == SyncTrouble::certificate || t == SyncTrouble::address ||
         t == SyncTrouble::device_refused || t == SyncTrouble::clock ||
         t == SyncTrouble::credentials;
}

std::string sync_status_message(const DeskStatus &s, std::int64_t now_ms, Lang lang) {
  std::vector<std::string> parts;
  const SyncTrouble trouble =
      s.link == SyncLink::not_enrolled ? SyncTrouble::none : sync_trouble(s.sync_error);
  switch (trouble) {
    case SyncTrouble::none:
      switch (s.link) {
        case SyncLink::not_enrolled:
          parts.push_back(tr(lang, "non relié à un portail", "not linked to a portal"));
          break;
        case SyncLink::unknown:
          break;  // no round yet: the sync's age leads
        case SyncLink::online:
          parts.push_back(tr(lang, "en ligne", "online"));
          break;
        case SyncLink::offline:
          parts.push_back(tr(lang, "hors ligne", "offline"));
          break;
      }
      break;
    case SyncTrouble::offline:
      parts.push_back(tr(lang, "hors ligne", "offline"));
      break;
    case SyncTrouble::unreachable:
      parts.push_back(tr(lang, "portail injoignable", "portal unreachable"));
      break;
    case SyncTrouble::portal_down:
      parts.push_back(tr(lang, "portail indisponible", "portal unavailable"));
      break;
    case SyncTrouble::bad_answer:
      parts.push_back(tr(lang, "réponse du portail refusée", "portal's answer refused"));
      break;
    case SyncTrouble::certificate:
      parts.push_back(tr(lang, "certificat du portail refusé : appelez le technicien",
                         "portal's certificate refused: call the technician"));
      break;
    case SyncTrouble::address:
      parts.push_back(tr(lang, "adresse du portail refusée : appelez le technicien",
                         "portal's address refused: call the technician"));
      break;
    case SyncTrouble::device_refused:
      parts.push_back(tr(lang, "appareil refusé par le portail : appelez le technicien",
                         "appliance refused by the portal: call the technician"));
      break;
    case SyncTrouble::clock:
      parts.push_back(tr(lang, "horloge de l'appareil à régler : appelez le technicien",
                         "appliance's clock to set: call the technician"));
      break;
    case SyncTrouble::credentials:
      parts.push_back(tr(lang, "identité de l'appareil illisible : appelez le technicien",
                         "appliance's identity unreadable: call the technician"));
      break;
    case SyncTrouble::other:
      parts.push_back(tr(lang, "synchro en échec", "sync failing"));
      break;
  }
  std::string age_part;
  // Not enrolled: there is no sync to be late, so no age at all.
  if (s.link != SyncLink::not_enrolled) {
    const bool fresh = s.link == SyncLink::online && trouble == SyncTrouble::none;
    if (!s.last_sync_ms) {
      age_part = tr(lang, "jamais synchronisé", "never synced");
    } else {
      constexpr std::int64_t minute = 60'000, hour = 60 * minute, day = 24 * hour;
      const std::int64_t age = std::max<std::int64_t>(0, now_ms - *s.last_sync_ms);
      std::string ago;
      if (age < minute) {
        ago = tr(lang, "à l'instant", "just now");
      } else if (age < hour) {
        ago = tr(lang, "il y a " + std::to_string(age / minute) + " min",
                 std::to_string(age / minute) + " min ago");
      } else if (age < 48 * hour) {
        ago = tr(lang, "il y a " + std::to_string(age / hour) + " h",
                 std::to_string(age / hour) + " h ago");
      } else {
        const std::int64_t days = age / day;
        ago = tr(lang, "il y a " + std::to_string(days) + " jours",
                 std::to_string(days) + " days ago");
      }
      age_part = (fresh ? tr(lang, "synchronisé ", "synced ")
                        : tr(lang, "dernière synchro ", "last sync ")) +
                 ago;
    }
  }
  if (parts.empty() && !age_part.empty()) parts.push_back(std::exchange(age_part, {}));
  if (s.events_waiting > 0) {
    const std::string n = std::to_string(s.events_waiting);
    parts.push_back(s.events_waiting == 1
                        ? tr(lang, n + " remise en attente", n + " handover waiting")
                        : tr(lang, n + " remises en attente", n + " handovers waiting"));
  }
  if (!age_part.empty()) parts.push_back(age_part);
  if (s.conflicts > 0) {
    parts.push_back(tr(lang, std::to_string(s.conflicts) + " à vérifier",
                       std::to_string(s.conflicts) + " to review"));
  }
  std::string out;
  for (const std::string &p : parts) out += (out.empty() ? "" : " · ") + p;
  return out;
}

std::string error_message(const Error &e, Lang lang, ErrorContext context) {
  const std::string &c = e.code;
  const std::string &d = e.detail;
  if (context == ErrorContext::enrolment) {
    if (auto enrol = enrol_error_message(c, lang)) return *enrol;
  }
  if (c == "order_not_found")
    return tr(lang, "Commande " + d + " introuvable : vérifiez le numéro.",
              "Order " + d + " not found: check the number.");
  if (c == "not_collectable") {
    // The headless session adds the order's verdict sentence to this.
    return tr(lang, "Remise impossible : scannez la commande pour voir pourquoi.",
              "Cannot hand over: scan the order to see why.");
  }
  if (c == "bad_line")
    return tr(lang, "La commande n'a pas de ligne " + d + " : vérifiez les numéros de ligne.",
              "The order has no line " + d + ": check the line numbers.");
  if (c == "all_lines_missing")
    return tr(lang, "Toutes les lignes manquent : refusez la remise avec :refuse.",
              "Every line is missing: refuse the handover with :refuse instead.");
  if (c == "reason_required")
    return tr(lang, "Indiquez la raison du refus : :refuse NUMÉRO RAISON.",
              "Give the reason for the refusal: :refuse NUMBER REASON.");
  if (c == "nothing_to_undo")
    return tr(lang, "Aucune remise récente à annuler sur cet appareil.",
              "No recent handover to undo on this appliance.");
  if (c == "undo_too_late")
    return tr(lang, "La remise date de plus de 2 minutes : corrigez-la depuis le portail.",
              "The handover is over 2 minutes old: correct it on the portal.");
  if (c == "duplicate_event")
    return tr(lang, "Cette remise est déjà enregistrée.", "This handover is already recorded.");
  if (c == "disk_full")
    return tr(lang,
              // Counter staff cannot free space; they can keep the goods or write the
              // handover down until the technician comes.
              "Disque plein : rien n'a été enregistré. Ne remettez pas la commande (ou notez la "
              "remise sur papier) et appelez le technicien.",
              "Disk full: nothing was recorded. Do not hand the order over (or note the "
              "handover on paper) and call the technician.");
  if (c == "cache_damaged")
    return tr(lang,
              "Cache des commandes endommagé (" + d +
                  ") : les remises déjà enregistrées sont en sécurité et seront envoyées au "
                  "portail. Ne supprimez aucun fichier ; appelez le technicien.",
              "Order cache damaged (" + d +
                  "): handovers already recorded are safe and will reach the portal. Delete "
                  "no file; call the technician.");
  if (c == "database_corrupt")
    return tr(lang,
              "Base de données endommagée (" + d +
                  ") ; elle n'a pas été modifiée. Mettez-la de côté et réinstallez l'appareil.",
              "Damaged database (" + d +
                  "); it was left untouched. Move it aside and provision the appliance again.");
  if (c == "database_too_new")
    return tr(
        lang,
        "Base créée par une version plus récente de Comptoir (" + d +
            ") ; elle n'a pas été modifiée. Mettez Comptoir à jour.",
        "Database made by a newer Comptoir (" + d + "); it was left untouched. Update Comptoir.");
  if (c == "database_not_ours")
    return tr(lang,
              "Ce fichier n'est pas une base Comptoir (" + d +
                  ") ; il n'a pas été modifié. Choisissez un autre dossier avec --data.",
              "This file is not a Comptoir database (" + d +
                  "); it was left untouched. Choose another folder with --data.");
  if (c == "data_dir_locked")
    return tr(lang, "Un autre Comptoir utilise déjà " + d + " : fermez-le d'abord.",
              "Another Comptoir is already using " + d + ": close it first.");
  if (c == "data_dir_unusable")
    return tr(lang, "Dossier de données inutilisable (" + d + ") : vérifiez les droits.",
              "Data folder unusable (" + d + "): check its permissions.");
  if (c == "data_dir_unsafe")
    return tr(lang,
              "Ce dossier ne peut pas servir de dossier de données (" + d +
                  ") : rien n'y a été changé. Choisissez un dossier réservé à Comptoir (par "
                  "exemple /var/lib/comptoir) avec --data ou data_dir dans la configuration.",
              "This folder cannot be the data folder (" + d +
                  "): nothing in it was changed. Choose a folder for Comptoir alone (for "
                  "example /var/lib/comptoir) with --data or data_dir in the config.");
  if (c == "no_stand")
    return tr(lang,
              "Cet appareil ne sert encore aucun point de retrait : lancez "
              "« comptoir-provision demo --data DOSSIER » ou inscrivez-le auprès du portail.",
              "This appliance serves no stand yet: run \"comptoir-provision demo --data DIR\" "
              "or enrol it with the portal.");
  if (c == "unknown_command")
    return tr(lang,
              "Commande inconnue « " + d + " » : utilisez :handover, :refuse, :undo ou :status.",
              "Unknown command \"" + d + "\": use :handover, :refuse, :undo or :status.");
  if (c == "usage") return tr(lang, "Utilisation : " + d, "Usage: " + d);
  if (c == "database_missing")
    return tr(lang,
              "Aucune base Comptoir ici (" + d +
                  ") : vérifiez --data, ou provisionnez d'abord l'appareil (« comptoir-provision "
                  "demo --data DOSSIER » pour essayer).",
              "No Comptoir database here (" + d +
                  "): check --data, or provision the appliance first (\"comptoir-provision demo "
                  "--data DIR\" to try it).");
  if (c == "pin_invalid")
    return tr(lang, "Le code PIN technicien doit faire 4 à 8 chiffres : choisissez-en un autre.",
              "The technician PIN must be 4 to 8 digits: choose another one.");
  if (c == "pin_mismatch")
    return tr(lang, "Les deux codes PIN saisis diffèrent : rien n'a été changé. Recommencez.",
              "The two PINs typed differ: nothing was changed. Try again.");
  if (c == "terminal_unusable")
    return tr(lang,
              "Ce terminal ne permet pas de masquer le code PIN : rien n'a été changé. "
              "Passez-le par un fichier (« comptoir-provision set-pin --data DOSSIER < "
              "fichier »).",
              "This terminal cannot hide the PIN: nothing was changed. Pass it through a file "
              "(\"comptoir-provision set-pin --data DIR < file\").");
  if (c == "no_pin")
    return tr(lang,
              "Aucun code PIN technicien n'est défini : lancez « comptoir-provision set-pin "
              "--data DOSSIER ».",
              "No technician PIN is set: run \"comptoir-provision set-pin --data DIR\".");
  if (c == "pin_unusable")
    return tr(lang,
              // The detail (a damaged hash, libsodium) is English and for the log only.
              "Le code PIN technicien enregistré ne peut pas être vérifié : définissez-le à "
              "nouveau avec « comptoir-provision set-pin --data DOSSIER ».",
              "The stored technician PIN cannot be checked: set it again with "
              "\"comptoir-provision set-pin --data DIR\".");
  if (c == "config_invalid")
    return tr(lang, "Fichier de configuration incorrect (" + d + ") : corrigez cette ligne.",
              "Invalid configuration file (" + d + "): correct that line.");
  if (c == "config_unwritable")
    return tr(lang,
              "Fichier de configuration impossible à écrire (" + d +
                  ") : lancez la commande en root (sudo), ou donnez --config FICHIER.",
              "Configuration file cannot be written (" + d +
                  "): run the command as root (sudo), or give --config FILE.");
  if (c == "config_unreadable")
    return tr(lang,
              "Fichier de configuration illisible (" + d + ") : vérifiez le chemin et les droits.",
              "Configuration file unreadable (" + d + "): check its path and permissions.");
  if (auto sync = sync_error_message(c, lang)) return *sync;
  return tr(lang,
            "Erreur d'enregistrement (" + d +
                ") : rien n'a été enregistré. Réessayez ; si cela continue, appelez le "
                "technicien.",
            "Storage error (" + d +
                "): nothing was recorded. Try again; if it goes on, call the technician.");
}

std::string device_notice_message(const drivers::DeviceNotice &n, Lang lang) {
  const std::string &r = n.reason;
  using drivers::NoticeKind;
  switch (n.kind) {
    case NoticeKind::device_added:
      return tr(lang, "Lecteur prêt : " + n.device_id + ".", "Scanner ready: " + n.device_id + ".");
    case NoticeKind::device_removed:
      if (!r.empty() && r != "cable_pulled" && r != "unplugged")
        return tr(lang,
                  "Lecteur " + n.device_id + " arrêté (" + r +
                      ") : débranchez-le puis rebranchez-le ; si cela continue, appelez le "
                      "technicien.",
                  "Scanner " + n.device_id + " stopped (" + r +
                      "): unplug it and plug it back in; if it goes on, call the technician.");
      return tr(
          lang,
          "Lecteur débranché : " + n.device_id + ". Rebranchez-le ; il sera repris tout seul.",
          "Scanner unplugged: " + n.device_id +
              ". Plug it back in; it is picked up again "
              "by itself.");
    case NoticeKind::scan_dropped:
      if (r == "cable_pulled")
        return tr(lang,
                  "Lecture interrompue (câble débranché) : rebranchez le lecteur et scannez à "
                  "nouveau.",
                  "Scan cut off (cable pulled): plug the scanner back in and scan again.");
      if (r == "too_long")
        return tr(lang,
                  "Lecture ignorée : le lecteur envoie sans fin (touche bloquée ?). Vérifiez le "
                  "lecteur, puis scannez à nouveau.",
                  "Read ignored: the scanner sends without end (stuck key?). Check the scanner, "
                  "then scan again.");
      if (r == "no_terminator")
        return tr(lang,
                  "Lecture incomplète ignorée (pas de fin de ligne) : scannez à nouveau ; si cela "
                  "continue, réglez le lecteur pour finir par Entrée.",
                  "Incomplete read ignored (no end of line): scan again; if it goes on, set the "
                  "scanner to end with Enter.");
      if (r == "events_dropped")
        return tr(lang, "Lecture perdue (le système était débordé) : scannez à nouveau.",
                  "Scan lost (the system was overwhelmed): scan again.");
      if (r == "queue_full")
        return tr(lang,
                  "Trop de lectures à la fois : certaines ont été ignorées. Scannez à nouveau.",
                  "Too many reads at once: some were ignored. Scan again.");
      return tr(lang, "Lecture ignorée (" + r + ") : scannez à nouveau.",
                "Read ignored (" + r + "): scan again.");
    case NoticeKind::device_unusable:
      if (r == "no_permission")
        return tr(
            lang,
            "Lecteur " + n.device_id + " inaccessible (droits manquants) : appelez le technicien.",
            "Scanner " + n.device_id +
                " not accessible (missing permission): call the "
                "technician.");
      if (r == "not_found")
        return tr(lang,
                  "Lecteur " + n.device_id +
                      " introuvable : branchez-le ; il sera lu dès qu'il apparaît.",
                  "Scanner " + n.device_id +
                      " not found: plug it in; it is read as soon as it "
                      "appears.");
      if (r == "stalled")
        return tr(lang,
                  "La caméra n'envoie plus d'images : elle est relancée toute seule. Si cela "
                  "continue, débranchez-la puis rebranchez-la.",
                  "The camera stopped sending pictures: it is being restarted. If it goes on, "
                  "unplug it and plug it back in.");
      if (r == "unstable")
        return tr(lang,
                  "Lecteur " + n.device_id +
                      " instable (il se coupe sans cesse) : vérifiez le câble ou l'adaptateur.",
                  "Scanner " + n.device_id +
                      " unstable (it keeps dropping out): check the cable or the adapter.");
      if (r == "busy")
        return tr(lang, "Lecteur " + n.device_id + " déjà pris par un autre programme : fermez-le.",
                  "Scanner " + n.device_id + " already taken by another program: close it.");
      return tr(lang,
                "Lecteur " + n.device_id + " inutilisable (" + r + ") : appelez le technicien.",
                "Scanner " + n.device_id + " unusable (" + r + "): call the technician.");
  }
  return n.detail;
}

}  // namespace comptoir
