// The table of checkpointable object types: each subsystem's save/restore pair, registered once.
import type { ObjType } from '../../crfs/image/record-spec';
import type { ObjectRestorer } from './context';
import { mmRestorers } from '../mm/checkpoint';
import { fsRestorers } from '../fs/checkpoint';
import { signalRestorers } from '../signal/checkpoint';
import { taskRestorers } from './task-objects';

/**
 * objref type -> restorer. Writers are called by the driver directly (checkpointMm, checkpointFileTable,
 * …) because each knows its object; restore is driven by the `objref` records in the image, so it is
 * looked up here. A new shared object type is one entry in its subsystem's table.
 */
export const RESTORERS: Readonly<Partial<Record<ObjType, ObjectRestorer>>> = {
  ...taskRestorers,
  ...mmRestorers,
  ...fsRestorers,
  ...signalRestorers,
};
