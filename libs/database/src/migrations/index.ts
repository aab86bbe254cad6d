import { InitialSchema1764072000000 } from './1764072000000-initial-schema';
import { CatalogVersion1764072100000 } from './1764072100000-catalog-version';
import { AdminAudit1764072300000 } from './1764072300000-admin-audit';
import { PartnerPrograms1764072400000 } from './1764072400000-partner-programs';
import { BestRateHistory1764072500000 } from './1764072500000-best-rate-history';
import { OfferFloatingAndDelay1764072600000 } from './1764072600000-offer-floating-and-delay';
import { FeedUrlUnique1764072700000 } from './1764072700000-feed-url-unique';
import { RateIntegrity1764072800000 } from './1764072800000-rate-integrity';
import { CatalogForPeople1764073000000 } from './1764073000000-catalog-for-people';
import { Reputation1764073100000 } from './1764073100000-reputation';
import { RateHistory1764073200000 } from './1764073200000-rate-history';
import { DropBestRateHistory1764073300000 } from './1764073300000-drop-best-rate-history';
import { HistoryStorage1764073400000 } from './1764073400000-history-storage';
import { Alerts1764073500000 } from './1764073500000-alerts';
import { HistoryRecorder1764073600000 } from './1764073600000-history-recorder';
import { SnapshotWrites1764073700000 } from './1764073700000-snapshot-writes';
import { OpenData1764073800000 } from './1764073800000-open-data';
import { ReferenceRefreshes1764074000000 } from './1764074000000-reference-refreshes';
import { ReferenceRefreshCost1764074100000 } from './1764074100000-reference-refresh-cost';
import { HistoryCarriedOffers1764074200000 } from './1764074200000-history-carried-offers';
import { OffersAnalyzePace1764074300000 } from './1764074300000-offers-analyze-pace';
import { HistoryPendingNoTruncate1764074400000 } from './1764074400000-history-pending-no-truncate';
import { HistoryFeedsMissed1764074500000 } from './1764074500000-history-feeds-missed';
import { HistoryPendingNoArrayStatistics1764074600000 } from './1764074600000-history-pending-no-array-statistics';
import { ReferenceVersion1764074700000 } from './1764074700000-reference-version';
import { HistoryPendingLz41764074800000 } from './1764074800000-history-pending-lz4';

/** Every migration, in order. Listed explicitly so the same list works from sources and from dist. */
export const MIGRATIONS = [
  InitialSchema1764072000000,
  CatalogVersion1764072100000,
  AdminAudit1764072300000,
  PartnerPrograms1764072400000,
  BestRateHistory1764072500000,
  OfferFloatingAndDelay1764072600000,
  FeedUrlUnique1764072700000,
  RateIntegrity1764072800000,
  CatalogForPeople1764073000000,
  Reputation1764073100000,
  RateHistory1764073200000,
  DropBestRateHistory1764073300000,
  HistoryStorage1764073400000,
  Alerts1764073500000,
  HistoryRecorder1764073600000,
  SnapshotWrites1764073700000,
  OpenData1764073800000,
  ReferenceRefreshes1764074000000,
  ReferenceRefreshCost1764074100000,
  HistoryCarriedOffers1764074200000,
  OffersAnalyzePace1764074300000,
  HistoryPendingNoTruncate1764074400000,
  HistoryFeedsMissed1764074500000,
  HistoryPendingNoArrayStatistics1764074600000,
  ReferenceVersion1764074700000,
  HistoryPendingLz41764074800000,
];
