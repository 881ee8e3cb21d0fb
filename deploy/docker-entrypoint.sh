#!/bin/sh
# CodeWorm containers start here (deploy/Dockerfile). Started as root, it makes the data
# folder /var/lib/codeworm belong to the user the processes run as, then drops to that
# user, so that a bind-mounted host folder (docker-compose: ./data/compose) holds files its
# owner can read and delete:
#   CODEWORM_UID / CODEWORM_GID set      -> that user
#   else the folder belongs to a non-root -> its owner (a folder you created yourself)
#   else                                  -> the image's user "codeworm"
# Started as another user (Kubernetes runAsUser, docker --user) it only runs the command.
set -eu
home=/var/lib/codeworm
if [ "$(id -u)" -ne 0 ]; then
  exec "$@"
fi
uid=${CODEWORM_UID:-}
gid=${CODEWORM_GID:-}
if [ -z "$uid" ]; then
  owner=$(stat -c %u "$home")
  if [ "$owner" -ne 0 ]; then
    uid=$owner
    gid=${gid:-$(stat -c %g "$home")}
  else
    uid=$(id -u codeworm)
  fi
fi
gid=${gid:-$(id -g codeworm)}
if [ "$(stat -c %u "$home")" -ne "$uid" ]; then
  chown "$uid:$gid" "$home"
fi
export HOME="$home"
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
